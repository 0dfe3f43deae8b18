"""Signing in works whichever gunicorn worker answers, with no SECRET_KEY set.

`make run` serves with several workers. When each made up its own key, a CSRF token or a
session cookie from one worker was refused by the next: about one sign-in in three failed
(400 «CSRF token») and a signed-in resident was sent back to the sign-in page. Here real
gunicorn, with the project's gunicorn.conf.py, serves a throw-away SQLite database and
instance folder, and fresh browsers sign in through the form and go on using the site.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.keys import KEY_FILES
from tests.conftest import BASE_CONFIG
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.support import csrf_token_in
from tools import loopback

pytestmark = pytest.mark.server

SIGN_INS = 20
PAGES_AFTER_SIGN_IN = 3


def _database_with_a_resident(url: str) -> str:
    """Migrate the database and add a resident; returns their e-mail."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        email = UserFactory().email
        db.engine.dispose()
    return email


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[loopback.Gunicorn, str, Path]]:
    """gunicorn with four workers and no key in the environment; the resident's e-mail; the
    instance folder it keeps its keys in."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    email = _database_with_a_resident(url)
    instance = tmp_path / "instance"
    server = loopback.start_gunicorn(
        url,
        workers=4,
        threads=2,
        config=loopback.ROOT / "gunicorn.conf.py",
        env={
            "SECRET_KEY": None,
            "ADDRESS_HASH_KEY": None,
            "LEDGER_SIGNING_KEY": None,
            "APP_ENV": None,
            "INSTANCE_PATH": str(instance),
        },
    )
    yield server, email, instance
    server.stop()


def _sign_in_and_browse(base_url: str, email: str) -> list[str]:
    """One fresh browser: what went wrong signing in and using pages that need the session.

    Every request opens a new connection (`Connection: close`), so that any worker may
    answer it, as behind a proxy or with a browser's several connections.
    """
    with requests.Session() as browser:
        browser.headers["Connection"] = "close"
        form = browser.get(f"{base_url}/login", timeout=30)
        token = csrf_token_in(form.text)
        if token is None:
            return [f"no sign-in form: {form.status_code}"]
        answer = browser.post(
            f"{base_url}/login",
            data={"email": email, "password": DEFAULT_PASSWORD, "csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code != 302:
            return [f"sign-in answered {answer.status_code}"]
        problems = []
        for _ in range(PAGES_AFTER_SIGN_IN):
            page = browser.get(f"{base_url}/account", allow_redirects=False, timeout=30)
            if page.status_code != 200:
                problems.append(f"/account answered {page.status_code} after signing in")
        return problems


def test_every_worker_accepts_the_others_sign_in_without_a_secret_key(served):
    server, email, instance = served
    problems = [
        f"sign-in {n}: {problem}"
        for n in range(SIGN_INS)
        for problem in _sign_in_and_browse(server.base_url, email)
    ]
    assert problems == []
    # The workers settled on one kept key each, and left no temporary file behind.
    assert sorted(p.name for p in instance.iterdir()) == sorted(KEY_FILES.values())
