"""PostgreSQL backup and restore (docs/operations.md) restores identical data."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from app.extensions import db
from app.points.services import award_points
from tests.factories import UserFactory

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "backup_check.py"


@pytest.fixture
def backup_check(app, is_postgres):
    if not is_postgres:
        pytest.skip("backup and restore are for PostgreSQL (set TEST_DATABASE_URL)")
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is not installed next to PostgreSQL")
    spec = importlib.util.spec_from_file_location("backup_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def database_url() -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_backup_restores_every_row(backup_check):
    users = UserFactory.create_batch(3)
    award_points(users[0].id, 10, "vote", "poll", 1)
    db.session.commit()
    assert backup_check.check(database_url()) == []


def test_backup_check_notices_lost_rows(backup_check, monkeypatch):
    UserFactory.create_batch(2)
    db.session.commit()

    def restore_schema_only(path, url):
        subprocess.run(
            ["pg_restore", "--no-owner", "--schema-only", "--dbname", url, str(path)], check=True
        )

    monkeypatch.setattr(backup_check, "restore", restore_schema_only)
    problems = backup_check.check(database_url())
    assert any("users" in problem for problem in problems)
