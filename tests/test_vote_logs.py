"""Nothing in any log ties a person to a ballot or a receipt (issue #17).

A vote storm through the API (the express lane and the view) and the pages, with refusals,
database failures and a bug injected, and receipt checks, while every logger writes at DEBUG
(SQLAlchemy's included) and gunicorn's access logger, set up from gunicorn.conf.py, formats
each request as a gunicorn worker would. Then every line is searched.
"""

from __future__ import annotations

import json
import logging
import re
import runpy
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from gunicorn.config import Config as GunicornConfig
from sqlalchemy import event, update
from werkzeug.test import TestResponse

from app.auth.services import issue_token
from app.extensions import db
from app.gunicorn_log import RedactingLogger
from app.request_log import JsonFormatter
from tests.factories import UserFactory, make_poll
from tests.support import PageClient
from voting import ballots
from voting.models import PollOption
from voting.services import close_poll
from voting.verify import receipt_hash

ROOT = Path(__file__).resolve().parents[1]
RECEIPT = re.compile(r"\b[0-9A-F]{4}(?:-[0-9A-F]{4}){7}\b")
# Ids no timestamp, duration or count in a log line could be mistaken for.
FIRST_VOTER_ID = 7_100_001
OPTION_ID_SHIFT = 8_200_000
# Added to gunicorn's default format: every other part of a request a format may show.
GUNICORN_MORE = "%(U)s %(q)s %({authorization}i)s %({raw_uri}e)s %({remote_addr}e)s"


@pytest.fixture
def gunicorn_access(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """gunicorn's access logger as gunicorn.conf.py sets it up (with a format that shows
    every part of a request), writing to a file; and that file."""
    cfg = GunicornConfig()
    for key, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if key in cfg.settings:
            cfg.set(key, value)
    path = tmp_path / "gunicorn-access.log"
    cfg.set("accesslog", str(path))
    cfg.set("errorlog", "-")
    cfg.set("access_log_format", f"{cfg.access_log_format} {GUNICORN_MORE}")
    logger = cfg.logger_class(cfg)
    yield logger, path
    for handler in logger.access_log.handlers + logger.error_log.handlers:
        handler.close()


class GunicornRecorder:
    """Outermost WSGI layer that hands every finished request to gunicorn's access loggers,
    with the environ gunicorn would give (its RAW_URI is the request target as sent)."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], loggers: list[Any]) -> None:
        self.wsgi_app, self.loggers = wsgi_app, loggers

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = environ.get("QUERY_STRING", "")
        environ["RAW_URI"] = quote(environ["PATH_INFO"]) + (f"?{query}" if query else "")
        started = time.perf_counter()
        answer: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = b"".join(self.wsgi_app(environ, start))
        elapsed = timedelta(seconds=time.perf_counter() - started)
        headers = [
            (key[5:].replace("_", "-"), value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        ]
        response = SimpleNamespace(
            status=answer["status"], headers=answer["headers"], sent=len(body)
        )
        for logger in self.loggers:
            logger.access(response, SimpleNamespace(headers=headers), environ, elapsed)
        return [body]


@pytest.fixture
def logs(
    app: Flask, caplog: pytest.LogCaptureFixture, gunicorn_access: tuple[Any, Path]
) -> Callable[[], list[str]]:
    """Every logger at DEBUG; `logs()` is every line written so far (text and JSON formats,
    the exception text included, and gunicorn's access lines)."""
    gunicorn_logger, gunicorn_log = gunicorn_access
    app.wsgi_app = GunicornRecorder(app.wsgi_app, [gunicorn_logger])  # type: ignore[method-assign]
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    text = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    as_json = JsonFormatter()

    def lines() -> list[str]:
        found: list[str] = []
        for record in caplog.records:
            found += [text.format(record), as_json.format(record)]
        found += gunicorn_log.read_text().splitlines()
        return found

    return lines


def token_for(user: Any) -> str:
    raw, _token = issue_token(user, timedelta(hours=1))
    db.session.commit()
    return raw


def shift_option_ids(poll: Any) -> None:
    """Give the poll's options ids that stand out in a log line."""
    for question in poll.questions:
        for option in question.options:
            db.session.execute(
                update(PollOption)
                .where(PollOption.id == option.id)
                .values(id=option.id + OPTION_ID_SHIFT)
            )
    db.session.commit()
    db.session.expire_all()


def ballot_of(poll: Any, pick: int = 0) -> dict[str, Any]:
    single, multiple = poll.questions
    return {
        "answers": [
            {"question_id": single.id, "option_ids": [single.options[pick].id]},
            {"question_id": multiple.id, "option_ids": [multiple.options[pick].id]},
        ]
    }


def page_form(poll: Any, pick: int = 0) -> dict[str, Any]:
    single, multiple = poll.questions
    return {f"q{single.id}": single.options[pick].id, f"q{multiple.id}": multiple.options[pick].id}


class Storm:
    """Requests of the storm, each with the log records it produced."""

    def __init__(self, app: Flask, caplog: pytest.LogCaptureFixture) -> None:
        self.app, self.caplog = app, caplog
        self.lane = app.test_client()  # bearer tokens, no cookie: the express lane
        self.outcomes: list[tuple[str, str, TestResponse, list[logging.LogRecord]]] = []

    def send(self, kind: str, label: str, request: Callable[[], TestResponse]) -> TestResponse:
        before = len(self.caplog.records)
        response = request()
        self.outcomes.append((kind, label, response, self.caplog.records[before:]))
        return response

    def api_vote(self, kind: str, poll: Any, token: str, body: dict[str, Any]) -> TestResponse:
        return self.send(
            kind,
            f"API vote ({kind})",
            lambda: self.lane.post(
                f"/api/v1/polls/{poll.id}/votes",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            ),
        )

    def page_vote(
        self, kind: str, pages: PageClient, poll: Any, form: dict[str, Any]
    ) -> TestResponse:
        csrf = pages.csrf_token(f"/polls/{poll.id}")
        return self.send(
            kind,
            f"page vote ({kind})",
            lambda: pages.client.post(f"/polls/{poll.id}/vote", data={**form, "csrf_token": csrf}),
        )


@pytest.fixture
def fail_database(
    app: Flask, is_postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[bool]]:
    """While the list holds True, the database refuses a vote's write (not an outage: the
    statement fails, as a deadlock or a full disk would make it)."""
    failing: list[bool] = []
    if is_postgres:  # the vote is one statement sent straight to psycopg's cursor
        send = psycopg.Cursor.execute

        def execute(cursor: psycopg.Cursor, query: Any, *args: Any, **kwargs: Any) -> Any:
            if failing and "INSERT INTO poll_participations" in str(query):
                raise psycopg.errors.DeadlockDetected("deadlock detected")
            return send(cursor, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", execute)
        yield failing
        return

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if failing and statement.startswith("INSERT INTO poll_ballots"):
            raise sqlite3.OperationalError("disk I/O error")

    event.listen(db.engine, "before_cursor_execute", before)
    yield failing
    event.remove(db.engine, "before_cursor_execute", before)


def test_a_vote_storm_leaves_no_log_line_that_ties_a_voter_to_a_ballot_or_receipt(
    app, caplog, logs, fail_database, monkeypatch
):
    poll = make_poll()
    closed = make_poll()
    close_poll(closed)
    db.session.commit()
    shift_option_ids(poll)
    voters = [UserFactory(id=FIRST_VOTER_ID + n) for n in range(10)]
    db.session.commit()
    tokens = [token_for(voter) for voter in voters]
    storm = Storm(app, caplog)
    receipts: list[str] = []

    # Through the API: the lane's common case, its refusals, a failing database, a bug.
    for n in (0, 1):
        response = storm.api_vote("stored", poll, tokens[n], ballot_of(poll, n))
        assert response.status_code == 201, response.json
        receipts.append(response.json["receipt"])
    assert storm.api_vote("refused", poll, tokens[0], ballot_of(poll)).status_code == 409
    assert storm.api_vote("refused", closed, tokens[2], ballot_of(closed)).status_code == 409
    unknown_option = {
        "answers": [{"question_id": poll.questions[0].id, "option_ids": [OPTION_ID_SHIFT + 99_999]}]
    }
    assert storm.api_vote("refused", poll, tokens[2], unknown_option).status_code == 422
    fail_database.append(True)
    assert storm.api_vote("failed", poll, tokens[3], ballot_of(poll, 1)).status_code == 500
    fail_database.clear()
    with monkeypatch.context() as patch:
        patch.setattr(ballots, "new_receipt", lambda: 1 / 0)
        assert storm.api_vote("failed", poll, tokens[4], ballot_of(poll)).status_code == 500

    # Through the pages.
    pages = [PageClient(app.test_client()) for _voter in voters]
    for n in (5, 6, 7, 8):
        pages[n].login(voters[n].email)
    response = storm.page_vote("stored", pages[5], poll, page_form(poll, 1))
    assert response.status_code == 200
    receipts += sorted(set(RECEIPT.findall(response.get_data(as_text=True))))
    assert storm.page_vote("refused", pages[5], poll, page_form(poll)).status_code == 302
    bad_form = {**page_form(poll), f"q{poll.questions[0].id}": OPTION_ID_SHIFT + 99_999}
    assert storm.page_vote("refused", pages[6], poll, bad_form).status_code == 422
    assert storm.page_vote("refused", pages[6], closed, page_form(closed)).status_code == 409
    fail_database.append(True)
    assert storm.page_vote("failed", pages[7], poll, page_form(poll)).status_code == 500
    fail_database.clear()
    assert len(receipts) == 3

    # Receipts checked by their owners, while the poll runs and once it is closed.
    def check_by_api(receipt: str, token: str) -> TestResponse:
        return storm.send(
            "check",
            "API receipt check",
            lambda: storm.lane.get(
                f"/api/v1/polls/{poll.id}/receipts/{receipt}",
                query_string={"again": receipt},
                headers={
                    "Authorization": f"Bearer {token}",
                    "Referer": f"http://x/polls/{poll.id}/receipts/{receipt}",
                },
            ),
        )

    sealed = check_by_api(receipts[0], tokens[0])
    assert (sealed.status_code, sealed.json["status"]) == (200, "sealed")
    csrf = pages[5].csrf_token(f"/polls/{poll.id}/receipt")
    checked = storm.send(
        "check",
        "page receipt check",
        lambda: pages[5].client.post(
            f"/polls/{poll.id}/receipt?receipt={receipts[2]}",
            data={"receipt": receipts[2], "csrf_token": csrf},
        ),
    )
    assert checked.status_code == 200
    assert b'data-status="sealed"' in checked.data
    close_poll(db.session.merge(poll))
    db.session.commit()
    assert check_by_api(receipts[1], tokens[1]).status_code == 200

    lines = logs()
    assert any(line.startswith("DEBUG sqlalchemy") for line in lines), "SQLAlchemy wrote nothing"
    secrets = receipts + [receipt_hash(r) for r in receipts]
    option_ids = {str(o.id) for q in poll.questions + closed.questions for o in q.options}
    option_ids.add(str(OPTION_ID_SHIFT + 99_999))
    people = {str(v.id) for v in voters} | {v.email for v in voters}
    for line in lines:
        assert not any(secret in line for secret in secrets), line
        assert "[parameters:" not in line, line
        words = set(re.findall(r"[\w.@+-]+", line))
        assert not (words & people and words & option_ids), line

    assert any("/receipts/[redacted]" in line for line in lines)
    for kind, label, _response, records in storm.outcomes:
        access = [r for r in records if r.name == "app.access"]
        alarms = [r for r in records if r.levelno >= logging.WARNING]
        assert len(access) == 1, (label, [r.getMessage() for r in access])
        assert len(alarms) == (1 if kind == "failed" else 0), (
            label,
            [r.getMessage() for r in alarms],
        )
        if kind == "check":
            assert access[0].fields["user"] is None
            assert access[0].fields["path"] in (
                f"/api/v1/polls/{poll.id}/receipts/[redacted]",
                f"/polls/{poll.id}/receipt",
            )


def test_gunicorn_logs_a_receipt_request_without_the_receipt_or_who_asked(app, gunicorn_access):
    logger, path = gunicorn_access
    assert isinstance(logger, RedactingLogger)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v1/polls/7/%72eceipts/1A2B-3C4D?receipt=1A2B-3C4D",
        "PATH_INFO": "/api/v1/polls/7/receipts/1A2B-3C4D",
        "QUERY_STRING": "receipt=1A2B-3C4D",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_AUTHORIZATION": "Bearer secret-token",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer secret-token")])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    environ = {
        **environ,
        "RAW_URI": "/api/v1/polls",
        "PATH_INFO": "/api/v1/polls",
        "QUERY_STRING": "",
    }
    logger.access(
        response,
        request,
        {**environ, "HTTP_REFERER": "https://x/polls/7/receipts/1A2B-3C4D"},
        timedelta(0),
    )

    receipt_line, other_line = path.read_text().splitlines()
    assert '"GET /api/v1/polls/7/receipts/[redacted] HTTP/1.1"' in receipt_line
    for secret in ("1A2B", "203.0.113.9", "secret-token", "%72eceipts"):
        assert secret not in receipt_line
    assert "203.0.113.9" in other_line  # other requests are logged as before
    assert "/api/v1/polls" in other_line
    assert "1A2B" not in other_line  # a referer that was a receipt's path


def test_sql_errors_name_no_values(app):
    """A failing statement's error (and so its log) shows the SQL, not the values."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as failed:
        db.session.execute(
            text("SELECT * FROM no_such_table WHERE id = :secret"), {"secret": "7100001-x"}
        )
    assert "7100001-x" not in str(failed.value)
    assert "hidden" in str(failed.value)


def test_json_access_lines_of_a_receipt_check_name_no_user(app, caplog):
    voter = UserFactory()
    token = token_for(voter)
    poll = make_poll()
    caplog.set_level("INFO", logger="app.access")
    client: FlaskClient = app.test_client()
    client.get(
        f"/api/v1/polls/{poll.id}/receipts/ABCD-EF01", headers={"Authorization": f"Bearer {token}"}
    )
    record = next(r for r in caplog.records if r.name == "app.access")
    payload = json.loads(JsonFormatter().format(record))
    assert payload["user"] is None
    assert payload["path"] == f"/api/v1/polls/{poll.id}/receipts/[redacted]"
    assert "ABCD" not in payload["message"]
