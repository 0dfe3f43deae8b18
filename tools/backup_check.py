"""Dump a PostgreSQL database, restore it into a scratch database, and compare them.

    python tools/backup_check.py postgresql://postgres@127.0.0.1:5432/grazhdanin [--keep DUMPFILE]

Proves that the backup procedure in docs/operations.md really restores: every table has
the same row count and the same content checksum (md5 over rows in primary-key order) in
the original and in the restored copy. Exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
from psycopg import sql


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def table_fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Row count and md5 of all rows (ordered by primary key) for every public table."""
    result: dict[str, tuple[int, str]] = {}
    with psycopg.connect(_conninfo(url)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        for table in tables:
            query = sql.SQL(
                "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                "FROM {} AS t"
            ).format(sql.Identifier(table))
            count, digest = conn.execute(query).fetchone()  # type: ignore[misc]
            result[table] = (int(count), str(digest))
    return result


def dump(url: str, path: Path) -> None:
    command = ["pg_dump", "--format=custom", "--no-owner", "--file", str(path), _conninfo(url)]
    subprocess.run(command, check=True)


def restore(path: Path, url: str) -> None:
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", _conninfo(url), str(path)],
        check=True,
    )


def check(url: str, keep: Path | None = None) -> list[str]:
    """Back up `url`, restore into a scratch database, return the differences found."""
    base = psycopg.conninfo.conninfo_to_dict(_conninfo(url))
    scratch = f"restore_check_{uuid.uuid4().hex[:8]}"
    admin = psycopg.conninfo.make_conninfo(**{**base, "dbname": "postgres"})
    scratch_url = psycopg.conninfo.make_conninfo(**{**base, "dbname": scratch})
    with tempfile.TemporaryDirectory() as tmp:
        dump_path = keep or Path(tmp) / "backup.dump"
        dump(url, dump_path)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        try:
            restore(dump_path, scratch_url)
            before, after = table_fingerprints(url), table_fingerprints(scratch_url)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                conn.execute(drop.format(sql.Identifier(scratch)))
    problems = [f"table {t} missing after restore" for t in before if t not in after]
    problems += [
        f"table {t}: {before[t][0]} rows before, {after[t][0]} after (or content differs)"
        for t in before
        if t in after and before[t] != after[t]
    ]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="PostgreSQL URL of the database to back up")
    parser.add_argument("--keep", type=Path, help="keep the dump at this path")
    args = parser.parse_args()
    problems = check(args.url, args.keep)
    tables = table_fingerprints(args.url)
    if problems:
        print("backup check FAILED:", *problems, sep="\n  ")
        return 1
    rows = sum(count for count, _ in tables.values())
    print(f"backup check passed: {len(tables)} tables, {rows} rows restored identically")
    return 0


if __name__ == "__main__":
    sys.exit(main())
