"""Run work only once the current transaction has committed.

Background jobs and deliveries must not start before the rows they read are visible to
other connections, and must not start at all if the request rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask
from sqlalchemy import event
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


def one_statement_transactions() -> None:
    """Let each statement of this request commit on its own (PostgreSQL's autocommit).

    For a request whose one write is a single statement, atomic by itself: it saves the
    BEGIN and COMMIT round trips. It takes effect only before the request's session first
    touches the database; a transaction already begun is kept, and the statements run in
    it, as correct, one round trip dearer. SQLite keeps its transaction: one writer at a
    time makes statement-by-statement writes safe there only inside one.
    """
    if db.engine.dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


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
