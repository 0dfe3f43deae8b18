"""Signs of coordinated voting, for staff: a report to look into, never a silent removal.

Found without breaking secrecy: bursts are read from the ballots alone (their hour and
answers), shared networks and devices and fresh accounts from the participations alone
(which hold no choices). Nothing here joins a ballot to a person. Bursts are a count of
ballots by their answers, so a poll with results `after_close` shows them once it closes.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from voting.models import Ballot, Participation, Poll
from voting.services import results_visible

BURST_MIN = 10  # identical ballots in one hour before a burst is worth a look
BURST_FACTOR = 2.0  # … and at least this many times what that ballot's overall share predicts
SHARED_MIN = 5  # participations from one network address or device signature
FRESH_ACCOUNT = timedelta(minutes=10)


def _signature(content: str) -> str:
    answers = json.loads(content)["answers"]
    return json.dumps(
        [[a["question_id"], a.get("option_ids", [])] for a in answers], separators=(",", ":")
    )


def find_bursts(poll: Poll) -> list[dict[str, Any]]:
    """Hours in which one exact set of answers came far more often than it does overall."""
    per_hour: dict[str, Counter[str]] = defaultdict(Counter)
    overall: Counter[str] = Counter()
    rows = db.session.execute(
        select(Ballot.cast_hour, Ballot.content)
        .where(Ballot.poll_id == poll.id)
        .execution_options(yield_per=5000)
    )
    for hour, content in rows:
        signature = _signature(content)
        per_hour[hour.isoformat()][signature] += 1
        overall[signature] += 1
    total = sum(overall.values()) or 1
    bursts = []
    for hour, counts in sorted(per_hour.items()):
        in_hour = sum(counts.values())
        for signature, n in counts.most_common(3):
            expected = in_hour * overall[signature] / total
            if n >= BURST_MIN and n >= BURST_FACTOR * expected:
                bursts.append(
                    {
                        "hour": hour,
                        "ballots": n,
                        "hour_total": in_hour,
                        "expected": round(expected, 1),
                        "answers": json.loads(signature),
                    }
                )
    return bursts


def find_shared(poll: Poll, column: Any) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(
            column,
            func.count(),
            func.min(Participation.created_at),
            func.max(Participation.created_at),
        )
        .where(Participation.poll_id == poll.id, column.is_not(None))
        .group_by(column)
        .having(func.count() >= SHARED_MIN)
        .order_by(func.count().desc())
        .limit(50)
    )
    return [
        {"hash": h[:12], "participations": n, "first": first, "last": last}
        for h, n, first, last in rows
    ]


def find_fresh_accounts(poll: Poll, limit: int = 200) -> dict[str, Any]:
    """Accounts that took part within minutes of registering."""
    since = (poll.opened_at or poll.created_at) - FRESH_ACCOUNT
    rows = db.session.execute(
        select(
            User.id,
            User.display_name,
            User.district_code,
            User.created_at,
            Participation.created_at,
        )
        .join(Participation, Participation.user_id == User.id)
        .where(Participation.poll_id == poll.id, User.created_at >= since)
        .order_by(Participation.created_at)
    ).all()
    fresh = [r for r in rows if r[4] - r[3] <= FRESH_ACCOUNT]
    return {
        "count": len(fresh),
        "accounts": [
            {
                "user_id": r[0],
                "name": r[1],
                "district": r[2],
                "registered_at": r[3],
                "voted_at": r[4],
            }
            for r in fresh[:limit]
        ],
    }


def coordinated_report(poll: Poll) -> dict[str, Any]:
    participations = (
        db.session.scalar(
            select(func.count(Participation.id)).where(Participation.poll_id == poll.id)
        )
        or 0
    )
    return {
        "participations": participations,
        # Bursts count ballots by their answers: a tally, so not while no one may count them.
        "bursts": find_bursts(poll) if results_visible(poll) else None,
        "shared_addresses": find_shared(poll, Participation.address_hash),
        "shared_devices": find_shared(poll, Participation.device_hash),
        "fresh_accounts": find_fresh_accounts(poll),
        "thresholds": {
            "burst_min": BURST_MIN,
            "burst_factor": BURST_FACTOR,
            "shared_min": SHARED_MIN,
            "fresh_minutes": int(FRESH_ACCOUNT.total_seconds() // 60),
        },
    }
