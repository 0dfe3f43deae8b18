"""The two job backends: a thread pool in this process, or RQ on Redis."""

from __future__ import annotations

import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from sqlalchemy import select

from app.extensions import db
from app.jobs.models import Job, JobStatus
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
        """Queue the job; with Redis unreachable it fails at once, with the reason, not queued."""
        try:
            self.queue.enqueue(
                run_in_worker,
                job_id,
                job_id=job_id,
                job_timeout=3600,
                result_ttl=3600,
                failure_ttl=86400,
            )
        except RedisError as exc:
            log.error("job %s could not be queued: %s", job_id, exc)
            fail_job(job_id, f"the job queue (Redis) was unreachable: {exc}; start the job again")

    def fail_orphaned_jobs(self) -> int:
        """Fail running jobs whose worker is gone (killed with its work horse, machine lost).

        A worker is gone when RQ no longer knows it (its key expires about 90 s after its
        last heartbeat) or, on this machine, when its process no longer exists.
        """
        running = db.session.scalars(select(Job.id).where(Job.status == JobStatus.RUNNING)).all()
        failed = 0
        for job_id in running:
            if not self._worker_alive(job_id) and fail_job(
                job_id, "the worker running the job is gone; start the job again"
            ):
                failed += 1
        return failed

    def _worker_alive(self, job_id: str) -> bool:
        try:
            name = RQJob.fetch(job_id, connection=self.connection).worker_name
        except NoSuchJobError:
            return False
        if not name:
            return False
        worker = Worker.find_by_key(
            Worker.redis_worker_namespace_prefix + name, connection=self.connection
        )
        if worker is None:
            return False
        if worker.hostname == socket.gethostname() and worker.pid:
            return _process_exists(worker.pid)
        return True


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    return True


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
