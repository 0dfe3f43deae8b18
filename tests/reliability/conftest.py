"""Load and fault tests against real servers on loopback (gunicorn, PostgreSQL, Redis).

They need PostgreSQL (TEST_DATABASE_URL, or the default at 127.0.0.1:5432) and run apart
from `make test`: `make reliability` runs them at full scale, `.ci/run` in a short form
(RELIABILITY_SCALE=short). Each module sets `pytestmark = pytest.mark.reliability`;
each test records its figures with `record_figures`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from tools import loopback

ADMIN_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def full_scale() -> bool:
    """True under `make reliability`; the short CI form uses smaller loads and durations."""
    return os.environ.get("RELIABILITY_SCALE", "short") == "full"


def _migrated_loopback_database() -> Iterator[str]:
    """Create and migrate a throw-away database, yield its SQLAlchemy URL, then drop it.

    PostgreSQL out of reach skips the test here, and fails it on CI (CI=true).
    """
    try:
        url = loopback.create_database(ADMIN_URL, prefix="reliability")
    except Exception as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    sqlalchemy_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    loopback.migrate(sqlalchemy_url)
    yield sqlalchemy_url
    loopback.drop_database(ADMIN_URL, url)


@pytest.fixture
def loopback_database() -> Iterator[str]:
    """A migrated PostgreSQL database of its own (SQLAlchemy URL), dropped afterwards."""
    yield from _migrated_loopback_database()


@pytest.fixture
def private_postgres() -> Iterator[loopback.PrivatePostgres]:
    """A PostgreSQL cluster of the test's own (never the shared one), running; removed after."""
    server = loopback.PrivatePostgres()
    try:
        server.init()
        server.start()
    except (OSError, subprocess.CalledProcessError) as exc:
        server.destroy()
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"cannot run a private PostgreSQL: {exc}")
    yield server
    server.destroy()


@pytest.fixture
def private_database(private_postgres: loopback.PrivatePostgres) -> str:
    """A migrated database in the private cluster (SQLAlchemy URL)."""
    url = loopback.create_database(private_postgres.admin_url, prefix="faults")
    sqlalchemy_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    loopback.migrate(sqlalchemy_url)
    return sqlalchemy_url


@pytest.fixture
def private_redis() -> Iterator[loopback.PrivateRedis]:
    """A redis-server of the test's own, running; stopped after."""
    server = loopback.PrivateRedis()
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"cannot run a private Redis: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_loopback_database() -> Iterator[str]:
    """Like `loopback_database`, but one for all the tests of a module: they can share one
    server (gunicorn takes long to start on a busy machine) and each seed its own rows."""
    yield from _migrated_loopback_database()
