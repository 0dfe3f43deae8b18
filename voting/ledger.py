"""The published ledger of a closed poll: its ballots exactly as hashed, and receipt proofs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import Conflict, NotFound
from app.extensions import db
from voting.models import Ballot, Poll, PollStatus
from voting.verify import merkle_proof, receipt_hash


def require_closed(poll: Poll) -> None:
    if poll.status is not PollStatus.CLOSED:
        raise Conflict(
            _("Бюллетени и квитанции публикуются после закрытия опроса."),
            extra={"reason": "not_closed"},
        )


HASHING = (
    "leaf = sha256(0x00 || canonical JSON of the ballot: sorted keys, no spaces, UTF-8); "
    "node = sha256(0x01 || left || right); leaves sorted by hash; an odd last node moves up; "
    "check with `python -m voting.verify ballots.json`"
)


def ballots_document(poll: Poll, batch: int = 5000) -> Iterator[str]:
    """`ballots.json` in pieces: the ledger's head, then every ballot exactly as hashed, in
    ledger order. The pieces are read on a connection of their own, so the response can be
    streamed after the request's context is gone."""

    require_closed(poll)
    head = {
        "poll_id": poll.id,
        "ledger_root": poll.ledger_root,
        "ledger_size": poll.ledger_size,
        "hashing": HASHING,
    }
    engine = db.engine
    stmt = select(Ballot.content).where(Ballot.poll_id == poll.id).order_by(Ballot.leaf_hash)

    def generate() -> Iterator[str]:
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "ballots": ['
        with engine.connect() as conn:
            rows = conn.execution_options(yield_per=batch).execute(stmt)
            for index, (content,) in enumerate(rows):
                yield ("," if index else "") + "\n" + content
        yield "\n]}\n"

    return generate()


def get_receipt_proof(poll: Poll, receipt: str) -> dict[str, Any]:
    """The ballot a receipt names and its Merkle path to the published root; 404 otherwise."""

    require_closed(poll)
    receipt = (receipt or "").strip().upper()
    ballot = db.session.scalar(
        select(Ballot).where(
            Ballot.poll_id == poll.id, Ballot.receipt_hash == receipt_hash(receipt)
        )
    )
    if ballot is None or len(receipt) > 64:
        raise NotFound(_("Квитанция не найдена в этом опросе."))
    leaves = db.session.scalars(
        select(Ballot.leaf_hash).where(Ballot.poll_id == poll.id).order_by(Ballot.leaf_hash)
    ).all()
    return {
        "poll_id": poll.id,
        "ledger_root": poll.ledger_root,
        "leaf_hash": ballot.leaf_hash,
        "ballot": _json_loads(ballot.content),
        "proof": merkle_proof(leaves, ballot.leaf_hash),
    }


def _json_loads(text: str) -> dict[str, Any]:
    return json.loads(text)  # type: ignore[no-any-return]
