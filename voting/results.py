"""Counting: a poll's tally, and the results built from it.

Ballots are counted with GROUP BY over covering indexes, not with counters bumped by every
vote: counters would make every voter of a popular option wait on the same row. A poll with
results `after_close` is counted by no one before it closes (`services.results_visible`). A
live poll is counted on demand and the count is kept in this process's memory only, at most
`VOTING_RESULTS_TTL_SECONDS`: never stored, so no history of tallies builds up while the poll
is open (successive counts, set beside the participations' times, would tell how each newcomer
voted). A closed poll is counted once, stored in `poll_tallies`, and final.

The results never show an okrug cell of fewer than `VOTING_MIN_GROUP` (K) voters: such a cell
reads «менее K» (`null` with `suppressed: true, below: K` in the API), and enough others are
withheld with it («скрыто», `below: null`) that no total minus the shown okrugs gives it back
(`withheld_okrugs`).
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.districts import list_okrugs
from app.errors import Conflict, Forbidden
from app.extensions import db
from app.spreadsheets import csv_writer
from voting.models import (
    Ballot,
    BallotChoice,
    BallotText,
    Participation,
    Poll,
    PollStatus,
    PollTally,
    Question,
)
from voting.services import audience_size, decision_history, phase, results_visible

DEFAULT_TTL_SECONDS = 10
DEFAULT_MIN_GROUP = 20
# Where this process keeps the latest count of each live poll (app.extensions).
LIVE_TALLIES = "voting_live_tallies"


@dataclass(frozen=True)
class Tally:
    """A count of a poll's ballots: final (stored, the poll closed) or live (in memory)."""

    data: dict[str, Any]
    computed_at: datetime
    is_final: bool


def _hour_bucket() -> Any:
    """A participation's time truncated to the hour, in UTC, as the database can group it."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", Participation.created_at))
    return func.strftime("%Y-%m-%d %H:00:00", Participation.created_at)


def _hour_iso(value: datetime | str) -> str:
    hour = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return hour.replace(tzinfo=UTC).isoformat()


def count_participations_per_hour(poll: Poll) -> dict[str, int]:
    """Votes over time, from the participations (who voted when is theirs to tell), never from
    the ballots: a ballot's own time is no business of the chart."""
    bucket = _hour_bucket().label("hour")
    rows = db.session.execute(
        select(bucket, func.count())
        .where(Participation.poll_id == poll.id)
        .group_by(bucket)
        .order_by(bucket)
    )
    return {_hour_iso(hour): n for hour, n in rows}


def count_ballots(poll: Poll) -> dict[str, Any]:
    """Count everything the results show, straight from the ballots (and, for the time
    chart, the participations)."""
    by_okrug = {
        okrug or "": n
        for okrug, n in db.session.execute(
            select(Ballot.okrug, func.count())
            .where(Ballot.poll_id == poll.id)
            .group_by(Ballot.okrug)
        )
    }
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
        "ballots": sum(by_okrug.values()),
        "audience": audience_size(poll),
        "by_okrug": by_okrug,
        "over_time": count_participations_per_hour(poll),
        "options": dict(options),
        "texts": texts,
    }


def seal_tally(poll: Poll, now: datetime | None = None) -> PollTally:
    """Count a closed poll and store its final tally: the only tally ever stored."""
    if poll.status is not PollStatus.CLOSED:
        raise Conflict(_("Итоги сохраняются только после закрытия опроса."))
    data = count_ballots(poll)
    tally = PollTally(
        poll_id=poll.id, data=data, ballots=data["ballots"], computed_at=now or utcnow()
    )
    try:
        with db.session.begin_nested():
            db.session.add(tally)
    except IntegrityError:  # another request stored it first: the same final count
        stored = db.session.get(PollTally, poll.id, populate_existing=True)
        if stored is None:  # pragma: no cover (the row was just there)
            raise
        return stored
    return tally


def current_tally(poll: Poll, now: datetime | None = None) -> Tally:
    """The final tally of a closed poll, or a live count no older than the TTL."""
    now = now or utcnow()
    live: dict[int, Tally] = current_app.extensions.setdefault(LIVE_TALLIES, {})
    if poll.status is PollStatus.CLOSED:
        live.pop(poll.id, None)
        stored = db.session.get(PollTally, poll.id) or seal_tally(poll, now)
        return Tally(stored.data, stored.computed_at, is_final=True)
    ttl = timedelta(
        seconds=current_app.config.get("VOTING_RESULTS_TTL_SECONDS", DEFAULT_TTL_SECONDS)
    )
    tally = live.get(poll.id)
    if tally is None or tally.computed_at + ttl <= now:
        tally = Tally(count_ballots(poll), now, is_final=False)
        live[poll.id] = tally
    return tally


def withheld_okrugs(ballots_by_okrug: dict[str, int], k: int) -> set[str]:
    """The okrugs whose cells are withheld: every one with fewer than `k` voters, and with
    them the next smallest until at least two are withheld that together hold at least `k`.

    One withheld cell alone would come back as the total minus the shown okrugs, and the
    per-option totals minus the shown okrugs' would tell how that small group voted; withheld
    together, they are one group of at least `k` (or every voter, if fewer took part).
    """
    withheld = {code for code, n in ballots_by_okrug.items() if n < k}
    if not withheld:
        return withheld
    shown = sorted((n, code) for code, n in ballots_by_okrug.items() if code not in withheld)
    while shown and (len(withheld) < 2 or sum(ballots_by_okrug[c] for c in withheld) < k):
        withheld.add(shown.pop(0)[1])
    return withheld


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def build_results(poll: Poll, tally: Tally) -> dict[str, Any]:
    """The results document of API.md: per option votes and share, turnout, okrugs, time."""
    data = tally.data
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
    counts_by_okrug: dict[str, int] = data.get("by_okrug", {})
    k = current_app.config.get("VOTING_MIN_GROUP", DEFAULT_MIN_GROUP)
    withheld = withheld_okrugs(counts_by_okrug, k)
    by_okrug = []
    # Shown cells by size; withheld ones after them by code, so their order tells nothing.
    order = sorted(
        counts_by_okrug.items(),
        key=lambda kv: (True, 0, kv[0]) if kv[0] in withheld else (False, -kv[1], kv[0]),
    )
    for code, n in order:
        if code in withheld:
            by_okrug.append(_withheld_cell(code, okrug_names, k if n < k else None))
            continue
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
                "suppressed": False,
                "below": None,
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


def _withheld_cell(code: str, okrug_names: dict[str, str], below: int | None) -> dict[str, Any]:
    """An okrug cell without its number, share or options: `below` is K when the okrug has
    fewer than K voters, None when it is withheld with such a one (it has K or more)."""
    return {
        "okrug": code or None,
        "abbrev": okrug_names.get(code, "—"),
        "ballots": None,
        "share": None,
        "options": None,
        "suppressed": True,
        "below": below,
    }


def withheld_cell_text(row: dict[str, Any]) -> str:
    """What a withheld okrug cell says instead of its number, on the page and in CSV."""
    return _("менее %(k)s", k=row["below"]) if row["below"] else _("скрыто")


def get_results(poll: Poll, now: datetime | None = None) -> dict[str, Any]:
    """The results, if anyone may see a tally of this poll yet (`results_visible`)."""
    if not results_visible(poll):
        raise Forbidden(
            _("Результаты этого опроса публикуются после его закрытия."),
            extra={"reason": "results_after_close"},
        )
    return build_results(poll, current_tally(poll, now))


def results_csv(results: dict[str, Any]) -> str:
    """Open data: one row per option and okrug, plus the totals per option. A withheld okrug
    (`withheld_okrugs`) has a row per option whose votes read «менее K» (or «скрыто»)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(["question_id", "question", "option_id", "option", "okrug", "votes", "share"])
    for question in results["questions"]:
        for option in question["options"]:
            head = [question["id"], question["text"], option["id"], option["text"]]
            writer.writerow([*head, "all", option["votes"], option["share"]])
            for row in results["by_okrug"]:
                if row["suppressed"]:
                    writer.writerow([*head, row["abbrev"], withheld_cell_text(row), ""])
                elif votes := row["options"].get(str(option["id"]), 0):
                    writer.writerow([*head, row["abbrev"], votes, ""])
    return out.getvalue()
