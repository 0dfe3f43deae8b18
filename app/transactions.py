"""Run work only once the current transaction has committed.

Background jobs and deliveries must not start before the rows they read are visible to
other connections, and must not start at all if the request rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import Connection, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)
_KEY = "after_commit_callbacks"


def run_after_commit(callback: Callable[[], None]) -> None:
    db.session().info.setdefault(_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_callbacks(session: Session) -> None:
    callbacks = session.info.pop(_KEY, [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_rollback")
def _drop_callbacks(session: Session) -> None:
    session.info.pop(_KEY, None)


@contextmanager
def statement_connection() -> Iterator[Connection]:
    """A connection for a request whose one write is a single statement, atomic by itself.

    PostgreSQL: a pooled connection of its own in autocommit, outside the request's ORM
    session. No BEGIN and COMMIT round trips, and none of the session's bookkeeping, which
    cost more Python than the vote itself (the API vote, the busiest write, uses it). Reads
    and writes meant to happen with the statement go through this connection, not the
    session; a transaction the session has begun (a cookie's user load) is left to it.

    SQLite: the session's own connection, committed when the block ends without an error.
    One writer at a time makes statement-by-statement writes safe there only inside one
    transaction.
    """
    if db.engine.dialect.name != "postgresql":
        yield db.session.connection()
        db.session.commit()
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


def init_session_teardown(app: Flask) -> None:
    """Close each request's session even if the database went away after the answer was made.

    Closing rolls back the read transaction; on a connection the server has just dropped
    (a restart) that fails, and would turn a finished request into a 500. The connection is
    thrown away instead; the pool opens a new one for the next request. Registered after
    Flask-SQLAlchemy, so it runs first and leaves it nothing to do.
    """

    @app.teardown_appcontext
    def close_session(exc: BaseException | None) -> None:
        try:
            db.session.remove()
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            log.warning("database connection lost while closing the session: %s", error.orig)
            db.session.registry().invalidate()
            db.session.remove()
