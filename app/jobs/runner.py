"""Registering, enqueuing and executing jobs; backend-neutral."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import Connection, select, update

from app.db import utcnow
from app.extensions import db
from app.jobs.models import Job, JobStatus
from app.transactions import run_after_commit

log = logging.getLogger(__name__)

JobFunction = Callable[..., Any]
FailureHook = Callable[[Connection, dict[str, Any], str], None]
_REGISTRY: dict[str, JobFunction] = {}
_ON_FAILURE: dict[str, FailureHook] = {}


class Backend(Protocol):
    def dispatch(self, job_id: str) -> None: ...


@dataclass
class JobContext:
    """Handed to a job function so it can report how far it got."""

    job_id: str

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Record progress in 0..1 on a connection of its own, visible at once to readers.

        Call it between phases, not while the job's session holds a write transaction
        (SQLite would make the two writers wait for each other).
        """
        fraction = min(max(float(fraction), 0.0), 1.0)
        with db.engine.begin() as conn:
            conn.execute(
                update(Job)
                .where(Job.id == self.job_id)
                .values(
                    progress=fraction, message=(message or "")[:300] or None, heartbeat_at=utcnow()
                )
            )


def register_job(
    name: str, *, on_failure: FailureHook | None = None
) -> Callable[[JobFunction], JobFunction]:
    """Make `fn(ctx, **params)` runnable as a background job called `name`.

    `on_failure(conn, params, reason)` runs, in the transaction that fails the job, when the
    job is failed from outside its own code (its worker was killed, the queue was
    unreachable), so that whatever the job was updating does not stay "running" for ever.
    """

    def decorator(fn: JobFunction) -> JobFunction:
        _REGISTRY[name] = fn
        if on_failure is not None:
            _ON_FAILURE[name] = on_failure
        return fn

    return decorator


def enqueue(name: str, params: dict[str, Any], *, user_id: int | None = None) -> Job:
    """Record a job; it is handed to the backend only once the caller's transaction commits."""
    if name not in _REGISTRY:
        raise KeyError(f"unknown job {name!r}")
    job = Job(name=name, params=params, created_by_id=user_id)
    db.session.add(job)
    db.session.flush()
    backend: Backend = current_app.extensions["jobs"]
    job_id = job.id
    run_after_commit(lambda: backend.dispatch(job_id))
    return job


def get_job(job_id: str) -> Job | None:
    return db.session.get(Job, job_id)


def execute(app: Flask, job_id: str) -> None:
    """Run one job in a fresh app context; every outcome is written to its row."""
    with app.app_context():
        job = db.session.get(Job, job_id)
        if job is None or job.status is not JobStatus.QUEUED:
            log.warning("job %s is missing or not queued; skipped", job_id)
            return
        fn = _REGISTRY.get(job.name)
        job.status = JobStatus.RUNNING
        job.started_at = job.heartbeat_at = utcnow()
        params = dict(job.params or {})
        db.session.commit()
        try:
            if fn is None:
                raise LookupError(f"no job function registered as {job.name!r}")
            result = fn(JobContext(job_id), **params)
        except Exception as exc:
            log.exception("job %s (%s) failed", job_id, job.name)
            db.session.rollback()
            _finish(job_id, JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000])
        else:
            db.session.commit()
            _finish(job_id, JobStatus.DONE, result=result if isinstance(result, dict) else None)
        finally:
            db.session.remove()


def _finish(
    job_id: str,
    status: JobStatus,
    *,
    error: str | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    job = db.session.get(Job, job_id)
    if job is None:
        return
    job.status = status
    job.finished_at = utcnow()
    job.error = error
    job.result = result
    if status is JobStatus.DONE:
        job.progress = 1.0
    db.session.commit()


def fail_job(job_id: str, reason: str) -> bool:
    """Mark a job failed from outside it (its worker died, it never reached the queue).

    Works on a connection of its own, so it may run from a commit hook or a worker's
    monitor; the job's `on_failure` hook runs in the same transaction. Returns whether the
    job was still unfinished.
    """
    unfinished = (JobStatus.QUEUED, JobStatus.RUNNING)
    with db.engine.begin() as conn:
        row = conn.execute(
            select(Job.name, Job.params).where(Job.id == job_id, Job.status.in_(unfinished))
        ).one_or_none()
        if row is None:
            return False
        conn.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status=JobStatus.FAILED, finished_at=utcnow(), error=reason)
        )
        hook = _ON_FAILURE.get(row.name)
        if hook is not None:
            hook(conn, dict(row.params or {}), reason)
    return True


def fail_stale_jobs(max_silence: timedelta) -> int:
    """Fail running jobs whose worker stopped reporting: they would otherwise spin forever."""
    cutoff = utcnow() - max_silence
    stale = db.session.scalars(
        select(Job.id).where(Job.status == JobStatus.RUNNING, Job.heartbeat_at < cutoff)
    ).all()
    for job_id in stale:
        fail_job(job_id, "the worker stopped reporting progress; start the job again")
    return len(stale)
