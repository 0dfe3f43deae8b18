"""Pooled PostgreSQL connections: drop the ones the server has closed, without a round trip.

A pooled connection may have been closed by the server while it sat idle: a restart, a
failover, an idle timeout. SQLAlchemy's `pool_pre_ping` finds out with a `SELECT 1` before
every checkout, a round trip on every request. An idle connection has nothing to read
unless the server has written to it, and a closing server always does (an error message or
end of file), so a readable socket at checkout is enough to know: the pool throws that
connection away and opens a new one. A server that vanished without a word (a cut cable) is
found by the request's first statement instead, which answers 503 and makes the pool
replace every connection older than the failure.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


def drop_connections_closed_by_server(engine: Engine) -> None:
    """Check each PostgreSQL connection as it leaves the pool (psycopg 3 only)."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    event.listen(engine, "checkout", _refuse_if_closed)


def _refuse_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the connection is closed")
    if server_has_written(dbapi_connection.pgconn.socket):
        raise DisconnectionError("the server wrote to an idle connection: it is closing it")


def server_has_written(fd: int) -> bool:
    """Whether there is something to read (or end of file) on an idle connection's socket."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))
