"""Background jobs: one interface, in-process and RQ backends, progress and failures."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from app.extensions import db
from app.jobs import JobContext, enqueue, get_job, register_job
from app.jobs.backends import RQBackend, init_jobs
from app.jobs.models import JobStatus

CALLS: list[int] = []


@register_job("tests.square")
def square(ctx: JobContext, n: int) -> dict[str, int]:
    ctx.progress(0.5, "половина")
    CALLS.append(n)
    return {"square": n * n}


@register_job("tests.explode")
def explode(ctx: JobContext) -> None:
    ctx.progress(0.3, "почти")
    raise RuntimeError("сломалось на шаге 2")


def test_eager_job_runs_after_commit_and_records_result(app):
    CALLS.clear()
    job = enqueue("tests.square", {"n": 7})
    assert CALLS == []  # nothing runs before the transaction commits
    db.session.commit()
    assert CALLS == [7]
    db.session.expire_all()
    stored = get_job(job.id)
    assert stored.status is JobStatus.DONE
    assert stored.progress == 1.0
    assert stored.result == {"square": 49}


def test_job_not_dispatched_when_transaction_rolls_back(app):
    CALLS.clear()
    enqueue("tests.square", {"n": 3})
    db.session.rollback()
    db.session.commit()
    assert CALLS == []


def test_failed_job_records_why(app):
    job = enqueue("tests.explode", {})
    db.session.commit()
    db.session.expire_all()
    stored = get_job(job.id)
    assert stored.status is JobStatus.FAILED
    assert "сломалось на шаге 2" in stored.error
    assert stored.message == "почти"


def test_unknown_job_name_is_refused(app):
    with pytest.raises(KeyError):
        enqueue("tests.nope", {})


@pytest.fixture
def app_config(request):
    return getattr(request, "param", {})


@pytest.mark.parametrize("app_config", [{"JOBS_EAGER": False}], indirect=True)
def test_thread_pool_backend_runs_job_in_background(app, is_postgres):
    job = enqueue("tests.square", {"n": 5})
    db.session.commit()
    job_id = job.id
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        db.session.expire_all()
        if get_job(job_id).is_finished:
            break
        time.sleep(0.05)
    assert get_job(job_id).status is JobStatus.DONE
    assert get_job(job_id).result == {"square": 25}


def _redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url():
    url = _redis_url()
    try:
        Redis.from_url(url, socket_connect_timeout=1).ping()
    except RedisConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("Redis is not reachable")
    return url


def test_rq_backend_hands_job_to_flask_worker(app, redis_url):
    app.config.update(REDIS_URL=redis_url, JOBS_QUEUE=f"test-{uuid.uuid4().hex[:8]}")
    init_jobs(app)
    assert isinstance(app.extensions["jobs"], RQBackend)
    job = enqueue("tests.square", {"n": 9})
    db.session.commit()
    db.session.expire_all()
    assert get_job(job.id).status is JobStatus.QUEUED  # nothing runs until a worker takes it
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    stored = get_job(job.id)
    assert stored.status is JobStatus.DONE
    assert stored.result == {"square": 81}
    app.extensions["jobs"].queue.delete(delete_jobs=True)
