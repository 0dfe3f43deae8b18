"""Counting: the tally of a poll, kept in one row per poll, and the results built from it.

Ballots are counted with GROUP BY over covering indexes, not with counters bumped by every
vote: counters would make every voter of a popular option wait on the same row. Counting a
million ballots takes a fraction of a second, so a live poll's tally is recounted at most
every `VOTING_RESULTS_TTL_SECONDS` (and shows when it was counted); a closed poll's tally is
counted once when it closes and is final, equal to the published ledger.
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.districts import list_okrugs
from app.extensions import db
from app.spreadsheets import csv_writer
from voting.models import Ballot, BallotChoice, BallotText, Poll, PollStatus, PollTally, Question
from voting.services import audience_size, decision_history, phase

DEFAULT_TTL_SECONDS = 10


def count_ballots(poll: Poll) -> dict[str, Any]:
    """Count everything the results show, straight from the ballots."""
    by_okrug: dict[str, int] = defaultdict(int)
    over_time: dict[str, int] = defaultdict(int)
    total = 0
    for okrug, hour, n in db.session.execute(
        select(Ballot.okrug, Ballot.cast_hour, func.count())
        .where(Ballot.poll_id == poll.id)
        .group_by(Ballot.okrug, Ballot.cast_hour)
    ):
        total += n
        by_okrug[okrug or ""] += n
        over_time[hour.isoformat()] += n
    options: dict[str, dict[str, int]] = defaultdict(dict)
    for option_id, okrug, n in db.session.execute(
        select(BallotChoice.option_id, BallotChoice.okrug, func.count())
        .where(BallotChoice.poll_id == poll.id)
        .group_by(BallotChoice.option_id, BallotChoice.okrug)
    ):
        options[str(option_id)][okrug or ""] = n
    texts = {
        str(qid): n
        for qid, n in db.session.execute(
            select(BallotText.question_id, func.count())
            .join(Question, Question.id == BallotText.question_id)
            .where(Question.poll_id == poll.id)
            .group_by(BallotText.question_id)
        )
    }
    return {
        "ballots": total,
        "audience": audience_size(poll),
        "by_okrug": dict(by_okrug),
        "over_time": dict(sorted(over_time.items())),
        "options": dict(options),
        "texts": texts,
    }


def refresh_tally(poll: Poll, *, final: bool = False, now: datetime | None = None) -> PollTally:
    """Recount and store the poll's tally; `final` when the poll has closed."""
    now = now or utcnow()
    data = count_ballots(poll)
    tally = db.session.get(PollTally, poll.id)
    if tally is None:
        tally = PollTally(poll_id=poll.id)
        try:
            with db.session.begin_nested():
                _fill(tally, data, final, now)
                db.session.add(tally)
        except IntegrityError:  # another request stored one first: update that one
            tally = db.session.get(PollTally, poll.id, populate_existing=True)
            if tally is None:  # pragma: no cover (the row was just there)
                raise
    if not tally.is_final:
        _fill(tally, data, final, now)
    db.session.flush()
    return tally


def _fill(tally: PollTally, data: dict[str, Any], final: bool, now: datetime) -> None:
    tally.data = data
    tally.ballots = data["ballots"]
    tally.is_final = final
    tally.computed_at = now


def current_tally(poll: Poll, now: datetime | None = None) -> PollTally:
    """The stored tally if it is final or fresh enough, otherwise a recount."""
    now = now or utcnow()
    tally = db.session.get(PollTally, poll.id)
    if poll.status is PollStatus.CLOSED:
        if tally is None or not tally.is_final:
            tally = refresh_tally(poll, final=True, now=now)
        return tally
    ttl = timedelta(
        seconds=current_app.config.get("VOTING_RESULTS_TTL_SECONDS", DEFAULT_TTL_SECONDS)
    )
    if tally is None or tally.computed_at + ttl <= now:
        tally = refresh_tally(poll, now=now)
    return tally


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def build_results(poll: Poll, tally: PollTally) -> dict[str, Any]:
    """The results document of API.md: per option votes and share, turnout, okrugs, time."""
    data = tally.data or {}
    ballots = int(data.get("ballots", 0))
    audience = int(data.get("audience", 0))
    options_counts: dict[str, dict[str, int]] = data.get("options", {})
    okrug_names = {o.code: o.abbrev for o in list_okrugs()}
    questions = []
    for question in poll.questions:
        items = []
        for option in question.options:
            votes = sum(options_counts.get(str(option.id), {}).values())
            items.append(
                {
                    "id": option.id,
                    "text": option.text,
                    "okrug": option.okrug,
                    "lat": option.lat,
                    "lon": option.lon,
                    "votes": votes,
                    "share": _share(votes, ballots),
                }
            )
        questions.append(
            {
                "id": question.id,
                "text": question.text,
                "kind": question.kind.value,
                "max_choices": question.max_choices,
                "options": items,
                "open_answers": int(data.get("texts", {}).get(str(question.id), 0)),
            }
        )
    by_okrug = []
    for code, n in sorted(data.get("by_okrug", {}).items(), key=lambda kv: -kv[1]):
        per_option = {
            oid: counts[code] for oid, counts in options_counts.items() if counts.get(code)
        }
        by_okrug.append(
            {
                "okrug": code or None,
                "abbrev": okrug_names.get(code, "—"),
                "ballots": n,
                "share": _share(n, ballots),
                "options": per_option,
            }
        )
    return {
        "poll_id": poll.id,
        "title": poll.title,
        "status": phase(poll),
        "final": tally.is_final,
        "computed_at": tally.computed_at.isoformat(),
        "ballots": ballots,
        "turnout": {"ballots": ballots, "audience": audience, "share": _share(ballots, audience)},
        "questions": questions,
        "by_okrug": by_okrug,
        "over_time": [{"hour": h, "ballots": n} for h, n in data.get("over_time", {}).items()],
        "ledger_root": poll.ledger_root if poll.status is PollStatus.CLOSED else None,
        "ledger_size": poll.ledger_size if poll.status is PollStatus.CLOSED else None,
        "decision": decision_history(poll),
    }


def get_results(poll: Poll, now: datetime | None = None) -> dict[str, Any]:
    return build_results(poll, current_tally(poll, now))


def results_csv(results: dict[str, Any]) -> str:
    """Open data: one row per option and okrug, plus the totals per option."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(["question_id", "question", "option_id", "option", "okrug", "votes", "share"])
    okrugs = [(row["okrug"], row["abbrev"]) for row in results["by_okrug"]]
    for question in results["questions"]:
        for option in question["options"]:
            writer.writerow(
                [
                    question["id"],
                    question["text"],
                    option["id"],
                    option["text"],
                    "all",
                    option["votes"],
                    option["share"],
                ]
            )
            for code, abbrev in okrugs:
                row = next(r for r in results["by_okrug"] if r["okrug"] == code)
                votes = row["options"].get(str(option["id"]), 0)
                if votes:
                    writer.writerow(
                        [
                            question["id"],
                            question["text"],
                            option["id"],
                            option["text"],
                            abbrev,
                            votes,
                            "",
                        ]
                    )
    return out.getvalue()
