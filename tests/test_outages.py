"""When a server the app needs is away: the database down answers a retryable 503, and a job
that cannot reach its queue fails at once with the reason instead of staying queued.

The real faults (a restarted PostgreSQL, a stopped Redis, killed workers) are exercised in
tests/reliability/test_faults.py; these tests pin the app-level behaviour cheaply.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import create_app
from app.db import utcnow
from app.errors import database_unavailable
from app.extensions import db
from app.jobs.backends import init_jobs
from app.jobs.models import Job, JobStatus
from ideas.clustering.models import ClusteringRun, RunStatus
from ideas.models import Project, ProjectStage, Section
from tests.conftest import BASE_CONFIG
from tests.factories import UserFactory, make_poll

# Nothing listens on port 1: every connection attempt is refused at once.
UNREACHABLE_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def app_without_database() -> Iterator[Flask]:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": UNREACHABLE_POSTGRES})
    with app.app_context():
        yield app
        db.engine.dispose()


def test_api_answers_retryable_503_problem_when_database_is_down(app_without_database):
    client = app_without_database.test_client()
    response = client.get("/api/v1/polls")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"].isdigit()
    assert response.json["type"] == "/api/problems/database_unavailable"
    assert response.json["status"] == 503


def test_bearer_request_is_not_refused_as_unauthorized_when_database_is_down(
    app_without_database,
):
    client = app_without_database.test_client()
    response = client.post(
        "/api/v1/polls/1/votes",
        json={"answers": [{"question_id": 1, "option_ids": [1]}]},
        headers={"Authorization": "Bearer some-token"},
    )
    assert response.status_code == 503  # the token could not be checked: retry, not 401
    assert response.headers["Retry-After"].isdigit()


@pytest.mark.parametrize(
    ("language", "title"),
    [("ru", "Сервис временно недоступен"), ("en", "Service temporarily unavailable")],
)
def test_page_answers_503_page_in_the_visitors_language_when_database_is_down(
    app_without_database, language, title
):
    client = app_without_database.test_client()
    response = client.get("/polls", headers={"Accept-Language": language})
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"].isdigit()
    assert title in response.get_data(as_text=True)


def _wrapped(orig: BaseException) -> OperationalError:
    return OperationalError("SELECT 1", {}, orig)


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (psycopg.OperationalError("connection refused"), True),  # no SQLSTATE: never connected
        (psycopg.errors.AdminShutdown(), True),  # fast shutdown ended the session
        (psycopg.errors.CannotConnectNow(), True),  # starting up, recovering
        (psycopg.errors.ConnectionFailure(), True),
        (psycopg.errors.DeadlockDetected(), False),  # the transaction's fault, not an outage
        (sqlite3.OperationalError("no such table: polls"), False),  # a bug, stays a 500
    ],
)
def test_only_a_lost_or_refused_connection_counts_as_database_outage(
    error: BaseException, outage: bool
) -> None:
    assert database_unavailable(_wrapped(error)) is outage


def _project() -> Project:
    project = Project(title="Офисы", description="", stage=ProjectStage.EXPERT_REVIEW)
    project.sections = [Section(title="Общее")]
    db.session.add(project)
    db.session.commit()
    return project


def test_clustering_run_fails_with_reason_when_job_queue_is_unreachable(app, api):
    app.config["REDIS_URL"] = UNREACHABLE_REDIS
    init_jobs(app)  # RQ on a Redis that refuses connections
    staff = UserFactory(roles=("staff",))
    project = _project()
    api.login(staff.email)

    response = api.post(f"/projects/{project.id}/clusterings", {"k": 3})

    assert response.status_code == 202
    run = api.get(f"/clusterings/{response.json['id']}").json
    assert run["status"] == "failed"
    assert "Redis" in run["error"]
    db.session.expire_all()
    job = db.session.get(Job, db.session.get_one(ClusteringRun, run["id"]).job_id)
    assert job.status is JobStatus.FAILED


def test_vote_stored_just_before_the_database_goes_away_is_answered_with_its_receipt(
    api, caplog, monkeypatch
):
    """Nothing between storing the vote and the response may need the database (the access
    log used to reload the expired voter, turning a stored vote into a 500). SQLite stores
    it with the session's commit; PostgreSQL with the one autocommitted vote statement,
    sent straight to psycopg's cursor, so the statements are watched there."""
    poll = make_poll(
        questions=[{"text": "Да или нет?", "kind": "single", "options": ["Да", "Нет"]}]
    )
    voter = UserFactory()
    api.login(voter.email)
    stored: list[bool] = []

    def database_gone(*args: object) -> None:
        if stored:
            raise RuntimeError("the database went away after the vote was stored")

    def mark_committed(session: Session) -> None:
        stored.append(True)

    send = psycopg.Cursor.execute

    def watched_execute(cursor: psycopg.Cursor, query: Any, *args: Any, **kwargs: Any) -> Any:
        database_gone()
        result = send(cursor, query, *args, **kwargs)
        if "INSERT INTO poll_ballots" in str(query):
            stored.append(True)
        return result

    monkeypatch.setattr(psycopg.Cursor, "execute", watched_execute)
    event.listen(Session, "after_commit", mark_committed)
    event.listen(db.engine, "before_cursor_execute", database_gone)
    caplog.set_level("INFO", logger="app.access")
    try:
        response = api.post(
            f"/polls/{poll.id}/votes",
            {
                "answers": [
                    {
                        "question_id": poll.questions[0].id,
                        "option_ids": [poll.questions[0].options[0].id],
                    }
                ]
            },
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", database_gone)
        event.remove(Session, "after_commit", mark_committed)
    assert stored, "the vote was never seen stored: the test checked nothing"
    assert response.status_code == 201, response.json
    record = next(r for r in caplog.records if r.name == "app.access")
    assert record.fields["user"] == voter.id


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        Redis.from_url(url, socket_connect_timeout=1).ping()
    except RedisConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("Redis is not reachable")
    return url


def test_starting_worker_fails_running_run_whose_worker_is_gone(app, redis_url):
    """A worker killed together with its work horse tells nobody: the next worker to start
    finds the job's RQ worker gone and fails the job and its clustering run."""
    app.config.update(REDIS_URL=redis_url, JOBS_QUEUE=f"test-{uuid.uuid4().hex[:8]}")
    init_jobs(app)
    project = _project()
    job = Job(name="clustering.run", params={}, status=JobStatus.RUNNING, heartbeat_at=utcnow())
    db.session.add(job)
    db.session.flush()
    run = ClusteringRun(project_id=project.id, job_id=job.id, status=RunStatus.RUNNING)
    db.session.add(run)
    db.session.flush()
    job.params = {"run_id": run.id}
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["worker", "--burst"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get_one(Job, job.id).status is JobStatus.FAILED
    failed = db.session.get_one(ClusteringRun, run.id)
    assert failed.status is RunStatus.FAILED
    assert "worker" in failed.error


@pytest.mark.postgres_only
def test_answer_made_before_the_server_drops_the_connection_is_still_sent(app, client, is_postgres):
    """PostgreSQL restarting between the view and the end of the request (the session's
    closing rollback fails) must not turn a finished answer into a 500."""
    if not is_postgres:
        pytest.skip("needs a server that can drop the connection: run on PostgreSQL")

    @app.after_request
    def server_drops_connection(response: Any) -> Any:
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return response

    response = client.get("/api/v1/polls")

    assert response.status_code == 200
    assert client.get("/api/v1/polls").status_code == 200  # the pool opened a new connection
