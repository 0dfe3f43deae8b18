"""One scenario database per test module: built once, then many requests against it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event

from app import create_app
from app.auth import passwords
from app.auth.passwords import hash_password
from app.config import engine_options
from app.extensions import db
from tests.access.harness import World
from tests.access.scenario import build_scenario
from tests.conftest import BASE_CONFIG, IsolatedClient, _reset_postgres
from tests.factories import DEFAULT_PASSWORD

# CSRF and rate limits have tests of their own (tests/test_accounts_pages.py,
# tests/test_rate_limits.py); here they would only hide the decision of interest, who may
# do what, behind a 400 or a 429.
ACCESS_CONFIG = {**BASE_CONFIG, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}


@pytest.fixture(scope="module")
def world(
    database_template: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    if database_template["kind"] == "sqlite":
        path = tmp_path_factory.mktemp("access") / "scenario.db"
        shutil.copyfile(database_template["template"], path)
        url = f"sqlite:///{path}"
    else:
        url = database_template["url"]
    database = {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": _no_fsync(url)}
    app = create_app({**ACCESS_CONFIG, **database})
    app.test_client_class = IsolatedClient
    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        _cheap_password_hashing(patch)
        if url.startswith("sqlite"):
            event.listen(db.engine, "connect", _sqlite_no_fsync)
        if database_template["kind"] == "postgres":
            _reset_postgres(database_template["seed"])
        world = World(app=app, scenario=build_scenario(hash_password(DEFAULT_PASSWORD)))
        world.sign_in_everyone()
        yield world
        db.session.remove()
        db.engine.dispose()


def _cheap_password_hashing(patch: pytest.MonkeyPatch) -> None:
    """Argon2 at its real cost takes most of a second here, and the matrix signs in, signs up
    and asks for tokens ~50 times; what it checks is who may, not how well passwords hash."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    patch.setattr(passwords, "_hasher", hasher)
    patch.setattr(passwords, "_DUMMY_HASH", hasher.hash("not-a-real-password"))


def _no_fsync(url: str) -> dict[str, Any]:
    """Hundreds of small commits to a throw-away database need not wait for the disk."""
    options = engine_options(url)
    if not url.startswith("sqlite"):
        options["connect_args"] = {"options": "-c synchronous_commit=off"}
    return options


def _sqlite_no_fsync(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA synchronous = OFF")
    cursor.close()
