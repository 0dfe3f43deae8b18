"""The app's keys: required in production, made once and shared in development, and the
hashes of network addresses keyed apart from the session."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from app.config import ConfigError
from app.extensions import db
from app.keys import address_hash, instance_key
from tests.factories import UserFactory, make_poll
from voting.models import Participation

# Settings a test app needs besides the keys (an in-memory database, quiet logs).
BARE = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "LOG_LEVEL": "WARNING"}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No key and no APP_ENV in the environment; the instance folder is the test's own."""
    for name in ("APP_ENV", "SECRET_KEY", "ADDRESS_HASH_KEY", "LEDGER_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "SECRET_KEY, ADDRESS_HASH_KEY, LEDGER_SIGNING_KEY"),
        ({"ADDRESS_HASH_KEY": "h" * 64, "LEDGER_SIGNING_KEY": "5e" * 32}, "SECRET_KEY"),
        ({"SECRET_KEY": "s" * 64, "LEDGER_SIGNING_KEY": "5e" * 32}, "ADDRESS_HASH_KEY"),
        ({"SECRET_KEY": "s" * 64, "ADDRESS_HASH_KEY": "h" * 64}, "LEDGER_SIGNING_KEY"),
    ],
)
def test_production_refuses_to_start_without_its_keys(environment, tmp_path, given, missing):
    environment.setenv("APP_ENV", "production")
    for name, value in given.items():
        environment.setenv(name, value)
    with pytest.raises(ConfigError, match=f"needs {missing}:"):
        create_app(BARE)
    assert not (tmp_path / "instance").exists()  # nothing made up on the machine


def test_production_refuses_one_key_for_both_uses(environment):
    environment.setenv("APP_ENV", "production")
    environment.setenv("SECRET_KEY", "same" * 16)
    environment.setenv("ADDRESS_HASH_KEY", "same" * 16)
    environment.setenv("LEDGER_SIGNING_KEY", "5e" * 32)
    with pytest.raises(ConfigError, match="must be different"):
        create_app(BARE)


def test_production_starts_with_its_keys(environment, tmp_path):
    environment.setenv("APP_ENV", "production")
    environment.setenv("SECRET_KEY", "s" * 64)
    environment.setenv("ADDRESS_HASH_KEY", "h" * 64)
    environment.setenv("LEDGER_SIGNING_KEY", "5E" * 32)
    app = create_app(BARE)
    assert (app.config["SECRET_KEY"], app.config["ADDRESS_HASH_KEY"]) == ("s" * 64, "h" * 64)
    assert app.config["LEDGER_SIGNING_KEY"] == "5e" * 32
    assert not (tmp_path / "instance").exists()


@pytest.mark.parametrize("given", ["5e" * 31, "zz" * 32, "a-passphrase"])
def test_a_ledger_key_that_is_no_ed25519_seed_is_refused(environment, given):
    environment.setenv("LEDGER_SIGNING_KEY", given)
    with pytest.raises(ConfigError, match="LEDGER_SIGNING_KEY must be 64 hex digits"):
        create_app(BARE)


def test_an_unknown_app_env_is_refused(environment):
    environment.setenv("APP_ENV", "prod")
    with pytest.raises(ConfigError, match="APP_ENV='prod'"):
        create_app(BARE)


def test_development_keys_are_made_once_kept_and_reused(environment, tmp_path):
    first = create_app(BARE)
    second = create_app(BARE)
    instance = tmp_path / "instance"
    assert first.instance_path == str(instance)
    for name, filename in (
        ("SECRET_KEY", "secret_key"),
        ("ADDRESS_HASH_KEY", "address_hash_key"),
        ("LEDGER_SIGNING_KEY", "ledger_signing_key"),
    ):
        kept = instance / filename
        assert kept.read_text().strip() == first.config[name] == second.config[name]
        assert len(first.config[name]) == 64
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert first.config["ADDRESS_HASH_KEY"] != first.config["SECRET_KEY"]
    assert sorted(p.name for p in instance.iterdir()) == [
        "address_hash_key",
        "ledger_signing_key",
        "secret_key",
    ]


def test_a_key_from_the_environment_wins_over_the_kept_one(environment, tmp_path):
    create_app(BARE)
    environment.setenv("SECRET_KEY", "from-the-environment")
    app = create_app(BARE)
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert (tmp_path / "instance" / "secret_key").read_text().strip() != "from-the-environment"


def test_processes_starting_together_all_get_the_first_writers_key(tmp_path):
    path = tmp_path / "instance" / "secret_key"
    starters = 16
    barrier = threading.Barrier(starters)
    keys: list[str] = []

    def start() -> None:
        barrier.wait()
        keys.append(instance_key(path))

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == starters
    assert set(keys) == {path.read_text().strip()}
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no temporary file left


def test_an_empty_key_file_is_refused_with_its_path(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("\n")
    with pytest.raises(ConfigError, match="holds no key"):
        instance_key(path)


def test_address_hashes_follow_their_own_key_not_the_session_key(app, api):
    poll = make_poll()
    single, multiple = poll.questions
    api.login(UserFactory().email)
    ballot = {
        "answers": [
            {"question_id": single.id, "option_ids": [single.options[0].id]},
            {"question_id": multiple.id, "option_ids": [multiple.options[0].id]},
        ]
    }
    assert api.post(f"/polls/{poll.id}/votes", ballot).status_code == 201
    db.session.expire_all()
    stored = db.session.scalar(select(Participation.address_hash))
    assert stored == address_hash("127.0.0.1")

    app.config["SECRET_KEY"] = "a-rotated-session-key"
    assert address_hash("127.0.0.1") == stored
    app.config["ADDRESS_HASH_KEY"] = "a-rotated-address-key"
    assert address_hash("127.0.0.1") != stored
