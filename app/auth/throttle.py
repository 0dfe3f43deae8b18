"""Failed sign-ins slow one account's next tries down instead of locking its owner out.

A count per address (Flask-Limiter) does not stop guessing one password from many addresses,
and a hard limit per account let anyone lock its owner out by failing on purpose. Here an
account's first few failures are free; after that each try must wait a delay that doubles
with every further failure, counted from the last one and capped at `MAX_WAIT`. A try
inside the wait is refused before the password is checked, and does not count; once the
wait is over the owner signs in as usual, and success forgets the failures. The count lives
in the database, so every worker and machine sees the same one.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask_babel import format_timedelta
from flask_babel import gettext as _
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from app.auth.models import SignInThrottle
from app.errors import TooManyAttempts
from app.extensions import db

FREE_FAILURES = 5
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
# Failures older than this are forgotten: a mistyped password starts afresh the next day.
FORGET_AFTER = timedelta(days=1)


def wait_after(failures: int) -> timedelta:
    """How long after its last failure an account with `failures` in a row must wait."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, 16)  # 30 s × 2^16 is far past the cap
    return min(MAX_WAIT, FIRST_WAIT * 2**doublings)


def refuse_if_waiting(user_id: int, now: datetime) -> int:
    """The account's failures in a row; `TooManyAttempts` if a try must still wait.

    On PostgreSQL the account's row stays locked until the request's transaction ends, so
    simultaneous tries on one account are judged one after the other, each seeing the
    failures of the one before.
    """
    row = db.session.execute(
        select(SignInThrottle.failures, SignInThrottle.last_failed_at)
        .where(SignInThrottle.user_id == user_id)
        .with_for_update()
    ).first()
    if row is None:
        return 0
    failures, last_failed_at = row
    remaining = last_failed_at + wait_after(failures) - now
    if remaining <= timedelta(0):
        return int(failures)
    seconds = math.ceil(remaining.total_seconds())
    raise TooManyAttempts(
        _(
            "Слишком много неудачных попыток входа в этот аккаунт. "
            "Попробуйте снова через %(wait)s.",
            wait=_readable(seconds),
        ),
        retry_after=seconds,
    )


def _readable(seconds: int) -> str:
    """Seconds under a minute, else whole minutes rounded up (never less than the wait)."""
    if seconds < 60:
        return format_timedelta(timedelta(seconds=seconds), threshold=1)
    return format_timedelta(timedelta(minutes=math.ceil(seconds / 60)), threshold=1)


def record_failed_sign_in(user_id: int, now: datetime) -> None:
    """Count a failure in one statement, safe when several workers count at once."""
    table = SignInThrottle.__table__
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(user_id=user_id, failures=1, last_failed_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.user_id],
        set_={
            "failures": case(
                (table.c.last_failed_at < now - FORGET_AFTER, 1),
                else_=table.c.failures + 1,
            ),
            "last_failed_at": now,
        },
    )
    db.session.execute(statement)


def forget_failed_sign_ins(user_id: int) -> None:
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.user_id == user_id))
