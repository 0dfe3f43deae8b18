"""What the load scenarios share: the plan the test wrote, the residents, and the outcome.

The pytest side (tests/reliability/test_load.py) writes a JSON plan (`LOAD_PLAN`): the host's
ids, the residents with their bearer tokens, the fractions of each behaviour. Locust runs a
scenario in its own process; this module keeps what the clients saw (the status of every
request by name, receipts, accepted writes) and writes it to `LOAD_OUTCOME` when the run
stops, so the test can compare the client's account with the database's.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import cache
from typing import Any

from locust import FastHttpUser, events

_statuses: dict[str, Counter[int]] = defaultdict(Counter)
_records: dict[str, list[Any]] = defaultdict(list)
_run = {"stopping": False}


class Resident(FastHttpUser):
    """A resident's client: patient timeouts (the machine saturates on purpose) and a
    pause between visits from the plan. Scenarios add the visit as a task."""

    abstract = True  # locust runs the scenarios' subclasses, not this
    network_timeout = 60.0
    connection_timeout = 60.0

    def wait_time(self) -> float:
        return random.uniform(*plan()["between_residents"])


@cache
def plan() -> dict[str, Any]:
    with open(os.environ["LOAD_PLAN"], encoding="utf-8") as handle:
        return json.load(handle)


@cache
def _residents() -> Iterator[dict[str, Any]]:
    return iter(plan()["residents"])


def next_resident() -> dict[str, Any] | None:
    """The next resident to arrive (each arrives once); None when all have come."""
    return next(_residents(), None)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem_code(response: Any) -> str:
    """The code of a problem+json answer (`/api/problems/already_voted` → already_voted)."""
    try:
        return str(response.json().get("type", "")).rsplit("/", 1)[-1]
    except Exception:
        return ""


def expect(response: Any, status: int, code: str | None = None) -> bool:
    """Mark a `catch_response` answer a success only if it is exactly what was expected.

    A refusal the scenario expects (409 on a second vote, 403 outside the audience) counts
    as a success; anything else is a failure named by its status and problem code, so the
    failures table groups them by kind.
    """
    got = response.status_code
    if got == status and (code is None or problem_code(response) == code):
        response.success()
        return True
    error = getattr(response, "error", None)
    detail = f"{type(error).__name__}: {error}" if got == 0 and error else problem_code(response)
    response.failure(f"unexpected {got} {detail}".strip())
    return False


def record(kind: str, value: Any) -> None:
    """Keep something the client saw (a receipt, an accepted idea) for the consistency check."""
    _records[kind].append(value)


def time_is_up() -> bool:
    """True once the run is stopping: a visit then sends no further write.

    Locust lets visits in progress finish, but kills those still going after the stop
    timeout; a write cut off that way could be stored without any client knowing. Writes
    already sent end within the clients' network timeout, well inside the stop timeout.
    """
    return _run["stopping"]


@events.test_stopping.add_listener
def _note_stopping(**_kwargs: Any) -> None:
    _run["stopping"] = True


@events.request.add_listener
def _count_status(name: str, response: Any = None, **_kwargs: Any) -> None:
    _statuses[name][int(getattr(response, "status_code", 0) or 0)] += 1


@events.test_stop.add_listener
def _write_outcome(**_kwargs: Any) -> None:
    outcome = {
        "statuses": {name: dict(counts) for name, counts in _statuses.items()},
        **_records,
    }
    with open(os.environ["LOAD_OUTCOME"], "w", encoding="utf-8") as handle:
        json.dump(outcome, handle, ensure_ascii=False)
