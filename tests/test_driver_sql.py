"""Statements sent straight to the driver fail as SQLAlchemy's do, and a lost connection heals."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from app.driver_sql import fetch_rows
from app.errors import database_unavailable
from app.extensions import db


def _placeholder(name: str) -> str:
    return f"%({name})s" if db.engine.dialect.name == "postgresql" else f":{name}"


def test_rows_come_back_as_plain_tuples(app):
    with db.engine.connect() as conn:
        rows = fetch_rows(conn, f"SELECT {_placeholder('n')} + 1, 'очередь'", {"n": 41})
    assert rows == [(42, "очередь")]


def test_a_wrong_statement_is_a_database_error_not_an_outage_and_the_connection_goes_on(app):
    with db.engine.connect() as conn:
        with pytest.raises(DBAPIError) as raised:
            fetch_rows(conn, "SELECT * FROM no_such_table", {})
        if conn.in_transaction():
            conn.rollback()  # PostgreSQL refuses more statements in a failed transaction
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert not raised.value.connection_invalidated
    assert not database_unavailable(raised.value)
    assert "no_such_table" in str(raised.value)


def test_a_connection_the_server_dropped_is_an_outage_and_is_replaced(app, is_postgres):
    if not is_postgres:
        pytest.skip("a server that drops connections: PostgreSQL only")
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        backend = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with pytest.raises(DBAPIError) as raised:
            fetch_rows(conn, "SELECT 1", {})
        assert raised.value.connection_invalidated
        assert database_unavailable(raised.value)
        # As after any lost statement: roll back, and the next use opens a new connection.
        conn.rollback()
        assert fetch_rows(conn, "SELECT 2", {}) == [(2,)]
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != backend
    admin.dispose()
