"""Background jobs with one interface and two backends.

`enqueue(name, params)` records a `Job` row and, once the transaction commits, hands its id
to the backend: RQ on Redis when REDIS_URL is set (run `flask worker`), otherwise a thread
pool inside the web process. Either way the job reports progress into its row, so any web
machine can show it, and a failure records why.
"""

from app.jobs.runner import JobContext, enqueue, get_job, register_job

__all__ = ["JobContext", "enqueue", "get_job", "register_job"]
