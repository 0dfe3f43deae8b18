"""Pooled connections that the server closed are replaced at checkout, without a ping."""

from __future__ import annotations

import socket
import time

import psycopg
import pytest
from sqlalchemy import text

from app.extensions import db
from app.pool import server_has_written


def test_idle_socket_with_nothing_to_read_counts_as_open():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert not server_has_written(ours.fileno())


def test_socket_the_peer_wrote_to_or_closed_counts_as_closing():
    ours, theirs = socket.socketpair()
    with ours:
        theirs.sendall(b"E")  # what a server sends before it closes: an error message
        assert server_has_written(ours.fileno())
        theirs.close()
        assert server_has_written(ours.fileno())


def test_connection_terminated_by_the_server_while_pooled_is_replaced(app, is_postgres):
    if not is_postgres:
        pytest.skip("a PostgreSQL server closes the connection")
    with db.engine.connect() as conn:
        first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        pooled = conn.connection.dbapi_connection
    libpq_url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq_url, autocommit=True) as admin:  # not from the pool
        admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
    deadline = time.monotonic() + 5
    while not server_has_written(pooled.pgconn.socket) and time.monotonic() < deadline:
        time.sleep(0.01)

    with db.engine.connect() as conn:  # would fail with "server closed the connection"
        second_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert second_pid != first_pid
