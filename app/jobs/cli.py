"""`flask worker`: execute queued jobs from Redis."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Worker

from app.jobs.backends import RQBackend, work_horse_killed
from app.jobs.runner import fail_stale_jobs


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run a background worker (needs REDIS_URL)."""
    backend = current_app.extensions["jobs"]
    if not isinstance(backend, RQBackend):
        raise click.ClickException("REDIS_URL is not set: jobs run inside the web process")
    failed = backend.fail_orphaned_jobs() + fail_stale_jobs(timedelta(minutes=30))
    if failed:
        click.echo(f"marked {failed} stale job(s) as failed")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    worker = Worker(
        [backend.queue],
        connection=backend.connection,
        work_horse_killed_handler=work_horse_killed(app),
    )
    worker.work(burst=burst)
