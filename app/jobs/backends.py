"""The two job backends: a thread pool in this process, or RQ on Redis."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue

from app.extensions import db
from app.jobs.runner import execute, fail_job

log = logging.getLogger(__name__)


class InProcessBackend:
    """Runs jobs on a small thread pool, or at once when `eager` (tests, CLI)."""

    def __init__(self, app: Flask, *, eager: bool, threads: int) -> None:
        self.app = app
        self.eager = eager
        self._executor = None if eager else ThreadPoolExecutor(threads, thread_name_prefix="job")

    def dispatch(self, job_id: str) -> None:
        if self._executor is None:
            execute(self.app, job_id)
        else:
            self._executor.submit(execute, self.app, job_id)


class RQBackend:
    """Hands job ids to an RQ queue; `flask worker` executes them."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        self.connection = Redis.from_url(redis_url)
        self.queue = Queue(queue_name, connection=self.connection)

    def dispatch(self, job_id: str) -> None:
        self.queue.enqueue(
            run_in_worker,
            job_id,
            job_id=job_id,
            job_timeout=3600,
            result_ttl=3600,
            failure_ttl=86400,
        )


def run_in_worker(job_id: str) -> None:
    """Entry point inside an RQ work horse: `flask worker` pushed the app context."""
    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    with app.app_context():
        db.engine.dispose(close=False)  # never share the parent's pooled connections after fork
    execute(app, job_id)


def work_horse_killed(app: Flask) -> Any:
    """RQ callback: a killed work horse leaves its job failed, with the reason, not running."""

    def handler(job: Any, retpid: int, ret_val: int, rusage: Any) -> None:
        with app.app_context():
            fail_job(
                job.id,
                f"the worker process was killed (exit status {ret_val}); start the job again",
            )

    return handler


def init_jobs(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        app.extensions["jobs"] = RQBackend(redis_url, str(app.config["JOBS_QUEUE"]))
    else:
        app.extensions["jobs"] = InProcessBackend(
            app, eager=bool(app.config.get("JOBS_EAGER")), threads=int(app.config["JOBS_THREADS"])
        )
