"""One statement straight on the database driver's cursor, for the hottest requests.

SQLAlchemy builds a result for every statement: metadata from the cursor's description,
row objects, type processing. For the two statements of an API vote (who holds the token;
the vote itself) that was a sixth of the request's Python (bench/vote_cost_bench.py), for
rows of a few plain values. `fetch_rows` runs the statement on the same pooled connection
and returns the driver's tuples.

Failures look as they do for any other statement: the driver's error comes wrapped in
SQLAlchemy's `DBAPIError`, and a connection found lost is invalidated, so that the outage
handling (503 with Retry-After) and the pool treat it alike. What it does without:
SQLAlchemy's statement events and echo, and its type processing, so the SQL and the
values are the driver's own (PostgreSQL only, where it is used).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


def fetch_rows(conn: Connection, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Run `sql` (in the driver's parameter style) with `params`; every row, as tuples.

    Like `conn.execute`, it begins the connection's transaction if none is open (a formality
    in autocommit), so that `conn.commit()` and `conn.rollback()` mean what they always do.
    """
    dbapi_error = conn.dialect.loaded_dbapi.Error
    if not conn.in_transaction():
        conn.begin()
    pooled = conn.connection
    try:
        cursor = pooled.cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()
    except dbapi_error as error:
        lost = conn.dialect.is_disconnect(error, pooled.dbapi_connection, None)
        if lost:
            conn.invalidate(error)
        raise DBAPIError.instance(
            sql,
            dict(params),
            error,
            dbapi_error,
            hide_parameters=conn.engine.hide_parameters,  # as SQLAlchemy's own statements
            connection_invalidated=lost,
            dialect=conn.dialect,
        ) from error
