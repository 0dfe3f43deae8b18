"""The API vote's express lane (voting/express.py): the common case answered without Flask's
request machinery, every other case by the view, with the same answers either way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask, request_started
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.auth.services import block_user, issue_token
from app.extensions import db
from tests.factories import UserFactory, make_poll
from voting import express
from voting.models import Ballot, Poll


@pytest.fixture
def views_run(app: Flask) -> Iterator[list[str]]:
    """The paths of the requests that went through Flask's request handling."""
    seen: list[str] = []

    def started(sender: Flask, **extra: object) -> None:
        from flask import request

        seen.append(request.path)

    request_started.connect(started, app)
    yield seen
    request_started.disconnect(started, app)


def ballots() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Ballot.id))) or 0


def ballot_of(poll: Poll) -> dict:
    single, multiple = poll.questions
    return {
        "answers": [
            {"question_id": single.id, "option_ids": [single.options[0].id]},
            {"question_id": multiple.id, "option_ids": [multiple.options[1].id]},
        ]
    }


def vote(client, poll: Poll, token: str, body: object = None, **headers: str):
    return client.post(
        f"/api/v1/polls/{poll.id}/votes",
        json=ballot_of(poll) if body is None else body,
        headers={"Authorization": f"Bearer {token}", **headers},
    )


def token_for(user) -> str:
    raw, _token = issue_token(user, timedelta(hours=1))
    db.session.commit()
    return raw


def test_a_bearer_vote_is_answered_by_the_lane_as_the_view_answers_it(client, views_run):
    poll = make_poll()
    first, second = token_for(UserFactory()), token_for(UserFactory())
    by_lane = vote(client, poll, first, **{"X-Request-ID": "req-12345678"})
    assert views_run == []
    # A cookie (any) sends the request through Flask, CSRF and session rules included.
    client.set_cookie("theme", "dark")
    by_view = vote(client, poll, second)
    assert views_run == [f"/api/v1/polls/{poll.id}/votes"]

    assert by_lane.status_code == by_view.status_code == 201
    assert by_lane.mimetype == by_view.mimetype == "application/json"
    assert by_lane.json.keys() == by_view.json.keys() == {"receipt", "poll_id", "check_url"}
    assert by_lane.json["check_url"] == by_view.json["check_url"]
    assert by_lane.json["poll_id"] == poll.id
    assert len(by_lane.json["receipt"].split("-")) == 8
    assert by_lane.headers["X-Request-ID"] == "req-12345678"
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"):
        assert by_lane.headers[name] == by_view.headers[name]
    assert ballots() == 2


def test_lane_votes_are_in_the_access_log_with_the_voter(client, caplog):
    poll = make_poll()
    voter = UserFactory()
    token = token_for(voter)
    caplog.set_level("INFO", logger="app.access")
    assert vote(client, poll, token).status_code == 201
    record = caplog.records[-1]
    assert record.name == "app.access"
    assert record.fields["status"] == 201
    assert record.fields["user"] == voter.id
    assert record.fields["path"] == f"/api/v1/polls/{poll.id}/votes"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"answers": []}, 422),
        ({"answers": [{"question_id": "1", "option_ids": [1]}]}, 422),
        ({"ballot": []}, 422),
    ],
)
def test_a_ballot_the_lane_cannot_read_is_answered_by_the_view(client, views_run, body, status):
    poll = make_poll()
    token = token_for(UserFactory())
    response = vote(client, poll, token, body)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert views_run[-1] == f"/api/v1/polls/{poll.id}/votes"
    assert ballots() == 0


def test_malformed_json_is_answered_by_the_view(client, views_run):
    poll = make_poll()
    token = token_for(UserFactory())
    response = client.post(
        f"/api/v1/polls/{poll.id}/votes",
        data='{"answers": [}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["type"].endswith("malformed_json")
    assert views_run[-1] == f"/api/v1/polls/{poll.id}/votes"


def test_a_second_vote_is_refused_by_the_view_in_the_callers_language(client, views_run):
    poll = make_poll()
    token = token_for(UserFactory())
    assert vote(client, poll, token).status_code == 201
    again = vote(client, poll, token, **{"Accept-Language": "en"})
    assert again.status_code == 409
    assert again.json["type"].endswith("already_voted")
    assert "already" in again.json["detail"].lower()
    assert views_run[-1] == f"/api/v1/polls/{poll.id}/votes"
    assert ballots() == 1


def test_unknown_blocked_and_unverified_voters_are_answered_by_the_view(client):
    poll = make_poll()
    blocked, unverified = UserFactory(), UserFactory(verified=False)
    db.session.commit()
    blocked_token, unverified_token = token_for(blocked), token_for(unverified)
    block_user(blocked)
    db.session.commit()
    assert vote(client, poll, "not-a-token").status_code == 401
    refused = vote(client, poll, blocked_token)
    assert (refused.status_code, refused.json["reason"]) == (403, "blocked")
    refused = vote(client, poll, unverified_token)
    assert (refused.status_code, refused.json["reason"]) == (403, "not_verified")
    assert ballots() == 0


def test_a_database_error_in_the_lane_leaves_the_vote_to_the_view(client, views_run, monkeypatch):
    poll = make_poll()
    voter = UserFactory()
    token = token_for(voter)

    def database_gone(raw: str, conn: object) -> None:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(express, "token_holder", database_gone)
    response = vote(client, poll, token)
    assert response.status_code == 201  # the view's own run found the database back
    assert views_run[-1] == f"/api/v1/polls/{poll.id}/votes"
    assert ballots() == 1


def test_a_failure_after_the_ballot_is_stored_is_never_counted_twice(client, caplog, monkeypatch):
    poll = make_poll()
    token = token_for(UserFactory())

    def broken(**fields: object) -> None:
        raise RuntimeError("the receipt could not be written")

    monkeypatch.setattr(express, "ReceiptOut", broken)
    response = vote(client, poll, token)
    assert response.status_code == 409  # true: the lane stored it, the view finds it there
    assert response.json["type"].endswith("already_voted")
    assert "express vote failed" in caplog.text
    assert ballots() == 1


class TestSettingsTheLaneLeavesToTheView:
    @pytest.fixture
    def app_config(self):
        return {"FORCE_HTTPS": True}

    def test_plain_http_is_redirected(self, client, views_run):
        poll = make_poll()
        db.session.commit()
        token = token_for(UserFactory())
        response = vote(client, poll, token)
        assert response.status_code == 307
        assert ballots() == 0
        over_https = client.post(
            f"/api/v1/polls/{poll.id}/votes",
            json=ballot_of(poll),
            headers={"Authorization": f"Bearer {token}"},
            base_url="https://localhost",
        )
        assert over_https.status_code == 201
        assert over_https.headers["Strict-Transport-Security"].startswith("max-age=")
        assert views_run.count(f"/api/v1/polls/{poll.id}/votes") == 1  # the redirect only


def test_every_before_request_hook_is_one_the_lane_accounts_for(app):
    """The lane skips Flask's before-request hooks. Each is accounted for in
    voting/express.py (what it does for a bearer vote, or why the lane hands over); a new
    hook must be looked at there before it is added to this list."""
    hooks = {f"{f.__module__}.{f.__qualname__}" for f in app.before_request_funcs[None]}
    assert hooks == {
        "app.request_log.init_request_log.<locals>.start",  # the lane sets X-Request-ID
        "flask_wtf.csrf.CSRFProtect.init_app.<locals>.csrf_protect",  # off: _guard_csrf
        "flask_limiter._extension.Limiter._check_request_limit",  # per route; votes have none
        "app.api._guard_csrf",  # no cookie, no CSRF; a cookie: hand over
        "app.api._check_api_body",  # the lane reads the body with parse_json_body
    }
