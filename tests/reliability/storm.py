"""Clients for fault tests: a vote storm and a read probe on plain threads and stdlib HTTP.

Every answer is classified (2xx, 409, 503, connection error, other 5xx, other) with the
time it arrived, so a test can count what clients saw during a fault window. A voter votes
once and retries only what the API calls retryable: a connection error, or a 503
problem+json with Retry-After (waiting as long as it says).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

PROBLEM_JSON = "application/problem+json"
RETRY_PAUSE_AFTER_CONNECTION_ERROR = 0.2
VOTER_DEADLINE_SECONDS = 90


@dataclass
class Answer:
    status: int | None  # None: the connection failed or was cut
    headers: dict[str, str]
    body: bytes

    @property
    def outcome(self) -> str:
        if self.status is None:
            return "connection_error"
        if 200 <= self.status < 300:
            return "2xx"
        if self.status in (409, 503):
            return str(self.status)
        return "5xx" if self.status >= 500 else "other"

    @property
    def retryable_503(self) -> bool:
        return (
            self.status == 503
            and self.headers.get("content-type", "").startswith(PROBLEM_JSON)
            and self.headers.get("retry-after", "").isdigit()
        )

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    base_url: str,
    method: str,
    path: str,
    *,
    body: Any = None,
    token: str | None = None,
    timeout: float = 15,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One HTTP request on a fresh connection; a refused or cut connection is status None."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    sent = dict(headers or {})
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    if token:
        sent["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        data = response.read()
        received = {key.lower(): value for key, value in response.getheaders()}
        return Answer(response.status, received, data)
    except (OSError, http.client.HTTPException):
        return Answer(None, {}, b"")
    finally:
        conn.close()


@dataclass
class Log:
    """Outcomes with their arrival times (time.monotonic), shared by client threads."""

    events: list[tuple[float, str]] = field(default_factory=list)
    unexpected: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer, what: str) -> None:
        with self.lock:
            self.events.append((time.monotonic(), answer.outcome))
            bad_503 = answer.status == 503 and not answer.retryable_503
            if answer.outcome in ("5xx", "other") or bad_503:
                self.unexpected.append(
                    {"what": what, "status": answer.status, "body": answer.body[:300].decode()}
                )

    def counts(self, start: float = 0.0, end: float = float("inf")) -> dict[str, int]:
        with self.lock:
            found = Counter(outcome for at, outcome in self.events if start <= at <= end)
        return {
            key: found.get(key, 0)
            for key in ("2xx", "409", "503", "connection_error", "5xx", "other")
        }

    def first_success_after(self, moment: float) -> float | None:
        with self.lock:
            return min((at for at, o in self.events if at >= moment and o == "2xx"), default=None)


@dataclass
class Ballots:
    """What the storm's voters were told: receipts (2xx), 409s, and voters left unsure."""

    receipts: dict[int, str] = field(default_factory=dict)
    already_voted: set[int] = field(default_factory=set)
    gave_up: set[int] = field(default_factory=set)
    attempted: set[int] = field(default_factory=set)


class VoteStorm:
    """`threads` clients vote for successive voters until told to stop or out of voters.

    Voter `i` (token `tokens[i]`) always picks option `options[i % len(options)]`, so the
    final tally per option is known in advance.
    """

    def __init__(
        self,
        base_url: str,
        poll_id: int,
        question_id: int,
        options: list[int],
        tokens: list[str],
        *,
        threads: int,
    ) -> None:
        self.base_url = base_url
        self.path = f"/api/v1/polls/{poll_id}/votes"
        self.question_id = question_id
        self.options = options
        self.tokens = tokens
        self.log = Log()
        self.ballots = Ballots()
        self._next = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def choice(self, voter: int) -> int:
        return self.options[voter % len(self.options)]

    def start(self) -> VoteStorm:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 120) -> None:
        """Let every voter in progress finish (success, 409 or give up), then return."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    @property
    def voted(self) -> int:
        with self._lock:
            return len(self.ballots.receipts) + len(self.ballots.already_voted)

    def _take(self) -> int | None:
        with self._lock:
            if self._stop.is_set() or self._next >= len(self.tokens):
                return None
            voter = self._next
            self._next += 1
            self.ballots.attempted.add(voter)
            return voter

    def _run(self) -> None:
        while (voter := self._take()) is not None:
            self._vote(voter)

    def _vote(self, voter: int) -> None:
        body = {"answers": [{"question_id": self.question_id, "option_ids": [self.choice(voter)]}]}
        deadline = time.monotonic() + VOTER_DEADLINE_SECONDS
        while time.monotonic() < deadline:
            answer = request(self.base_url, "POST", self.path, body=body, token=self.tokens[voter])
            self.log.add(answer, f"vote {voter}")
            if answer.outcome == "2xx":
                with self._lock:
                    self.ballots.receipts[voter] = answer.json()["receipt"]
                return
            if answer.outcome == "409":
                with self._lock:
                    self.ballots.already_voted.add(voter)
                return
            if answer.retryable_503:
                time.sleep(float(answer.headers["retry-after"]))
            elif answer.outcome == "connection_error":
                time.sleep(RETRY_PAUSE_AFTER_CONNECTION_ERROR)
            else:
                break  # a wrong answer: recorded in log.unexpected, not retried
        with self._lock:
            self.ballots.gave_up.add(voter)


class Probe:
    """GETs one path every `interval` seconds, to time outages and recoveries."""

    def __init__(self, base_url: str, path: str, interval: float = 0.1) -> None:
        self.base_url = base_url
        self.path = path
        self.interval = interval
        self.log = Log()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Probe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.log.add(request(self.base_url, "GET", self.path, timeout=5), f"GET {self.path}")
            self._stop.wait(self.interval)

    def wait_for_success_after(self, moment: float, seconds: float) -> float | None:
        """The time of the first 2xx at or after `moment`, waiting up to `seconds` for it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.log.first_success_after(moment)
            if found is not None:
                return found
            time.sleep(0.05)
        return None


def wait_until(condition: Any, seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False
