"""The API vote's express lane: the common case answered without Flask's request machinery.

A launch-day peak is hundreds of thousands of `POST /api/v1/polls/{id}/votes`, nearly all
of them the same case: a bearer token, no cookie, a well-formed ballot, a verified resident
who has not voted yet. For that case Flask's request context, hooks, session, validation
wrapper and response object cost as much Python as the vote itself (1.1 M of 2.1 M
instructions, bench/vote_cost_bench.py). This WSGI middleware answers that case with the
same services (`token_holder`, `cast_ballot`), the same body rules (`parse_json_body`,
`VoteIn`) and the same answer (201 and the receipt), and hands every other request to the
Flask view, which stays the reference and the documented API:

- any request but a POST to the vote path with an `Authorization: Bearer` header and no
  `Cookie` header (a cookie brings CSRF and the session's user), and plain HTTP when
  FORCE_HTTPS is set (the view redirects it);
- a body that is not JSON, too large, or not a valid ballot;
- an unknown token, an account blocked or not verified;
- any refusal by `cast_ballot` (poll closed, not in the audience, voted already…) and any
  error. The lane logs neither: a refused or failed vote is logged once, by the view (an
  error the view does not meet again is logged by the lane). A refusal writes nothing (the
  ballot is one atomic statement, or one transaction on SQLite), so the view runs the
  request again and answers it in the caller's language with its usual problem details,
  or 503 if the database is down. An error may come after the ballot is stored (the
  database lost before the answer, a bug): the view's run then finds it and answers 409
  `already_voted`, which is true. No ballot is counted twice; the receipt is lost, as it
  would be with any failed answer.

Every before-request hook of the app is one the lane has accounted for:
tests/test_express_votes.py fails when a new one appears, so that it is looked at here.
Rate limits are set per route and the vote has none (one ballot per person per poll is
the database's rule); a limit added to the vote view must be applied here too.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from flask import Flask, current_app, has_app_context
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import MapAdapter

from app.api import RefusedBody, parse_json_body
from app.auth.login import token_in_authorization
from app.auth.services import token_holder
from app.db import MAX_ID
from app.errors import DomainError
from app.numbers import parse_int
from app.request_log import access_log, log_access, request_id
from app.transactions import statement_connection
from voting import ballots
from voting.api import DEVICE_HEADERS
from voting.schemas import ReceiptOut, VoteIn

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

VOTE_PATH = re.compile(r"/api/v1/polls/([1-9][0-9]{0,9})/votes")
_DEVICE_KEYS = tuple("HTTP_" + name.upper().replace("-", "_") for name in DEVICE_HEADERS)


class _HandOver(Exception):
    """The request is not the lane's common case: the Flask view answers it."""


class ExpressVotes:
    """WSGI middleware in front of the Flask app's own `wsgi_app`."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._url_adapters: dict[str, MapAdapter] = {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        ballot_of = self._ballot_of(environ)
        if ballot_of is None:
            return self.wsgi_app(environ, start_response)
        poll_id, raw_token = ballot_of
        started = time.perf_counter()
        body = self._read_body(environ)
        if body is None:
            return self.wsgi_app(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(body)  # the view reads it again if it takes over
        try:
            with self._app_context():
                voter_id, payload = self._vote(environ, poll_id, raw_token, body)
        except (_HandOver, DomainError, SQLAlchemyError):
            return self.wsgi_app(environ, start_response)
        except Exception as error:  # the view runs it again; a bug still shows in the log
            return self.wsgi_app(environ, _logging_lane_error(error, start_response))
        rid = request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        start_response(
            "201 CREATED",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(payload))),
                ("X-Request-ID", rid),
            ],
        )
        if access_log.isEnabledFor(logging.INFO):
            elapsed_ms = (time.perf_counter() - started) * 1000
            log_access("POST", environ["PATH_INFO"], 201, elapsed_ms, voter_id)
        return [payload]

    def _ballot_of(self, environ: WSGIEnvironment) -> tuple[int, str] | None:
        """The poll's id and the bearer token if the request may take the lane, else None."""
        if environ["REQUEST_METHOD"] != "POST" or "HTTP_COOKIE" in environ:
            return None
        raw_token = token_in_authorization(environ.get("HTTP_AUTHORIZATION", ""))
        match = VOTE_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if raw_token is None or match is None:
            return None
        if self.app.config["FORCE_HTTPS"] and environ["wsgi.url_scheme"] != "https":
            return None  # the view redirects
        poll_id = int(match.group(1))
        return (poll_id, raw_token) if poll_id <= MAX_ID else None

    def _read_body(self, environ: WSGIEnvironment) -> bytes | None:
        """The JSON body, or None for a body the view must judge (size, type, encoding)."""
        content_type = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        size = parse_int(environ.get("CONTENT_LENGTH", ""))
        if content_type != "application/json" or size is None:
            return None
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        if size == 0 or (limit is not None and size > limit):
            return None
        body = environ["wsgi.input"].read(size)
        return bytes(body)

    def _app_context(self) -> AbstractContextManager[object]:
        """The app's context, as Flask would give the request: the current one if it is ours."""
        if has_app_context() and current_app._get_current_object() is self.app:  # type: ignore[attr-defined]
            return nullcontext()
        return self.app.app_context()

    def _vote(
        self, environ: WSGIEnvironment, poll_id: int, raw_token: str, body: bytes
    ) -> tuple[int, bytes]:
        """Cast the ballot; the voter's id and the response body. `_HandOver` otherwise."""
        try:
            vote = VoteIn.model_validate(parse_json_body(body))
        except (RefusedBody, ValidationError) as refused:
            raise _HandOver from refused
        with statement_connection() as conn:
            voter = token_holder(raw_token, conn)
            if voter is None or voter.is_blocked or not voter.is_verified:
                raise _HandOver
            receipt = ballots.cast_ballot(
                voter,
                poll_id,
                [answer.model_dump(exclude_none=True) for answer in vote.answers],
                address=environ.get("REMOTE_ADDR"),  # the client's: app/proxies.py ran first
                device="|".join(environ.get(key, "") for key in _DEVICE_KEYS),
                conn=conn,
            )
        check_url = self._url_adapter(environ).build("voting.check_receipt", {"poll_id": poll_id})
        answer = ReceiptOut(receipt=receipt, poll_id=poll_id, check_url=check_url)
        text = self.app.json.dumps(answer.model_dump(mode="json"), separators=(",", ":"))
        return voter.id, f"{text}\n".encode()

    def _url_adapter(self, environ: WSGIEnvironment) -> MapAdapter:
        """Builds paths as `url_for` does in a request (under the app's SCRIPT_NAME)."""
        script_name = environ.get("SCRIPT_NAME", "")
        adapter = self._url_adapters.get(script_name)
        if adapter is None:
            adapter = self.app.url_map.bind("localhost", script_name=script_name or "/")
            self._url_adapters[script_name] = adapter
        return adapter


def _logging_lane_error(error: Exception, start_response: StartResponse) -> StartResponse:
    """`start_response` for the view's run after the lane failed: the lane's error is logged
    unless the view fails too (a 5xx), which logs its own, so that a failed vote is logged
    once, and a lane-only bug (the view answering 409 for the ballot the lane stored) still
    shows."""

    def start(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
        if not status.startswith("5"):
            log.error(
                "express vote failed; handed to the view",
                exc_info=(type(error), error, error.__traceback__),
            )
        return start_response(status, headers, exc_info)  # type: ignore[arg-type]

    return start  # type: ignore[return-value]


def init_express_votes(app: Flask) -> None:
    app.wsgi_app = ExpressVotes(app, app.wsgi_app)  # type: ignore[method-assign]
