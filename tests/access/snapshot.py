"""What is in the database, table by table, and putting it back.

The access matrix makes hundreds of writes against one scenario. A refused write must change
nothing (compare with the snapshot); an allowed one may change anything, and the changed
tables are then put back, so every check starts from the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, text

from app.extensions import db

Rows = dict[str, list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Snapshot:
    """Every row of every table; on PostgreSQL also one digest per table, so that finding
    what changed takes one query instead of reading every table."""

    rows: Rows
    digests: dict[str, str]


def _rows(table: Table) -> list[tuple[Any, ...]]:
    order = list(table.primary_key.columns) or list(table.columns)
    return [tuple(row) for row in db.session.execute(table.select().order_by(*order))]


def _digests() -> dict[str, str]:
    if db.engine.dialect.name != "postgresql":
        return {}
    names = [table.name for table in db.metadata.sorted_tables]
    digest = "md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), ''))"
    # Table names come from our own metadata, not from input.
    columns = ", ".join(f'(SELECT {digest} FROM "{name}" t) AS "{name}"' for name in names)  # noqa: S608
    digests = dict(db.session.execute(text(f"SELECT {columns}")).one()._mapping)
    db.session.rollback()
    return digests


def write_mark() -> object:
    """A value that moves whenever any transaction has written to the database since.

    Cheap, so each check can skip looking at every table when nothing was written. SQLite:
    the file change counter in the database header (rollback-journal mode). PostgreSQL: the
    next transaction id, which only writing transactions use up (others' too: then we look).
    """
    if db.engine.dialect.name == "postgresql":
        mark = db.session.scalar(text("SELECT pg_snapshot_xmax(pg_current_snapshot())"))
        db.session.rollback()
        return mark
    with open(str(db.engine.url.database), "rb") as database:
        database.seek(24)
        return database.read(4)


def take() -> Snapshot:
    """Every row of every table, in primary-key order."""
    rows = {table.name: _rows(table) for table in db.metadata.sorted_tables}
    db.session.rollback()
    return Snapshot(rows, _digests())


def changed_tables(before: Snapshot) -> list[str]:
    """Names of the tables whose rows differ from `before`."""
    if before.digests:
        now = _digests()
        return [name for name, digest in before.digests.items() if now[name] != digest]
    rows = take().rows
    return [name for name, old in before.rows.items() if rows[name] != old]


def restore(before: Snapshot, names: list[str]) -> None:
    """Put the rows of `names` back as they were in `before`.

    Foreign keys and triggers are off meanwhile (PostgreSQL: replica mode; SQLite checks no
    foreign keys by default and its triggers are dropped and recreated), so deleting a parent
    row cascades to nothing, order does not matter and append-only logs can be put back.
    """
    tables = {table.name: table for table in db.metadata.sorted_tables}
    with db.engine.begin() as conn:
        triggers: list[str] = []
        if conn.dialect.name == "postgresql":
            # Replica mode fires neither foreign-key checks nor triggers (append-only logs).
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            triggers = _drop_sqlite_triggers(conn, names)
        for name in names:
            table = tables[name]
            conn.execute(table.delete())
            rows = [dict(zip(table.columns.keys(), row, strict=True)) for row in before.rows[name]]
            if rows:
                conn.execute(table.insert(), rows)
        for statement in triggers:
            conn.execute(text(statement))


def _drop_sqlite_triggers(conn: Connection, names: list[str]) -> list[str]:
    """Drop the triggers on `names` (append-only guards) and return how to recreate them."""
    found = conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN :names"
        ).bindparams(bindparam("names", expanding=True)),
        {"names": names},
    ).all()
    for name, _sql in found:
        conn.execute(text(f'DROP TRIGGER "{name}"'))
    return [sql for _name, sql in found]
