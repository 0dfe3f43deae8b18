"""`flask polls …`: operator commands for polls."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from voting.models import Poll, PollStatus
from voting.services import refresh_status


@click.group("polls")
def polls_cli() -> None:
    """Polls: close those past their closing time, seal old ledgers, export ballots."""


@polls_cli.command("close-due")
@with_appcontext
def close_due() -> None:
    """Close every open poll whose closing time has passed (pages do it too when read)."""
    polls = db.session.scalars(select(Poll).where(Poll.status == PollStatus.OPEN)).all()
    closed = 0
    for poll in polls:
        if refresh_status(poll):
            db.session.commit()
            closed += 1
    click.echo(f"closed {closed} poll(s)")


@polls_cli.command("seal-ledgers")
@with_appcontext
def seal_ledgers() -> None:
    """Put the ballots of polls closed before the ledger was an RFC 9162 tree into their
    trees and sign their heads (run once after upgrading; safe to run again)."""
    from voting.ledger import list_unsealed_closed_polls, seal_waiting_ballots

    polls = list_unsealed_closed_polls()
    for poll in polls:
        head = seal_waiting_ballots(poll)
        click.echo(f"poll {poll.id}: {head.tree_size} ballot(s), root {head.root}")
    db.session.commit()
    click.echo(f"sealed {len(polls)} poll(s)")


@polls_cli.command("export-ballots")
@click.argument("poll_id", type=int)
@click.argument("output", type=click.File("w", encoding="utf-8"))
@with_appcontext
def export_ballots(poll_id: int, output: click.utils.LazyFile) -> None:
    """Write a closed poll's ballots.json, the same document as GET /polls/{id}/ballots."""
    from voting.ledger import ballots_document
    from voting.services import get_poll

    for chunk in ballots_document(get_poll(poll_id)):
        output.write(chunk)
