"""Fixtures: an app with a fresh database per test, on SQLite or on PostgreSQL.

The schema is built once per run by the real migrations (so every run also tests them);
each test then gets an empty copy: a copied SQLite file, or truncated PostgreSQL tables
in a database made for this run. Set TEST_DATABASE_URL to run on PostgreSQL; on CI
(CI=true) an unreachable PostgreSQL is a failure, not a skip.
"""

from __future__ import annotations

import contextvars
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests.support import ApiClient, PageClient

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "ADDRESS_HASH_KEY": "test-address-hash-key",
    "LEDGER_SIGNING_KEY": "1e" * 32,
    "JOBS_EAGER": True,
    "REDIS_URL": None,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_RATE_LIMIT": "1000 per minute",
    "REGISTER_RATE_LIMIT": "1000 per minute",
    "CODE_RATE_LIMIT": "1000 per minute",
    "COMMENT_RATE_LIMIT": "1000 per minute",
    "SMTP_HOST": None,
    "LOG_LEVEL": "WARNING",
}


def _postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Migrate an empty database once: a template SQLite file, or a PostgreSQL database."""
    admin_url = _postgres_admin_url()
    if admin_url is None:
        path = tmp_path_factory.mktemp("db") / "template.db"
        _migrate(f"sqlite:///{path}")
        yield {"kind": "sqlite", "template": str(path)}
        return
    admin = make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {exc}")
    url = admin.set(database=name).render_as_string(hide_password=False)
    _migrate(url)
    yield {"kind": "postgres", "url": url, "seed": _capture_seed_rows(url)}
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """Runs each request in an empty context, as a server would.

    Otherwise a request reuses the test's app context, sharing `g` (and Flask-Login's
    cached user) and the database session between requests and clients.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


def _capture_seed_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Rows the migrations themselves insert (reference data), to restore after truncating."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    seed: dict[str, list[dict[str, Any]]] = {}
    with app.app_context():
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                rows = [dict(row._mapping) for row in conn.execute(table.select())]
                if rows:
                    seed[table.name] = rows
        db.engine.dispose()
    return seed


def _reset_postgres(seed: dict[str, list[dict[str, Any]]]) -> None:
    """Empty every table, then put back the migrations' reference rows and their sequences."""
    tables = db.metadata.sorted_tables
    with db.engine.begin() as conn:
        names = ", ".join(f'"{table.name}"' for table in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for table in tables:
            rows = seed.get(table.name)
            if not rows:
                continue
            conn.execute(table.insert(), rows)
            if "id" in table.c:
                # Table names come from our own metadata, not from input.
                sequence = f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                conn.execute(text(sequence + f'(SELECT max(id) FROM "{table.name}"))'))  # noqa: S608


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change settings for its tests."""
    return {}


@pytest.fixture
def app(
    database_template: dict[str, Any], tmp_path: Path, app_config: dict[str, Any]
) -> Iterator[Flask]:
    if database_template["kind"] == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(database_template["template"], path)
        url = f"sqlite:///{path}"
    else:
        url = database_template["url"]
    application = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **app_config})
    application.test_client_class = IsolatedClient
    with application.app_context():
        if database_template["kind"] == "postgres":
            _reset_postgres(database_template["seed"])
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(app: Flask) -> ApiClient:
    return ApiClient(app.test_client())


@pytest.fixture
def pages(app: Flask) -> PageClient:
    return PageClient(app.test_client())


@pytest.fixture
def is_postgres(database_template: dict[str, Any]) -> bool:
    return database_template["kind"] == "postgres"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present on this machine")
    return SHARED_DATA


FiguresRecorder = Callable[[str, dict[str, Any]], None]


@pytest.fixture
def record_figures(request: pytest.FixtureRequest) -> FiguresRecorder:
    """Keep a test's measured figures for docs/reliability.md.

    With RELIABILITY_RECORD_DIR set (`make reliability` sets it), each call writes
    `<dir>/<name>.json`; tools/reliability_report.py turns those files into the tables.
    Without it the figures only go to the test's output.
    """

    def record(name: str, figures: dict[str, Any]) -> None:
        payload = {"test": request.node.nodeid, **figures}
        print(f"figures {name}: {json.dumps(payload, ensure_ascii=False)}")
        directory = os.environ.get("RELIABILITY_RECORD_DIR")
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
            target = Path(directory) / f"{name}.json"
            target.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")

    return record
