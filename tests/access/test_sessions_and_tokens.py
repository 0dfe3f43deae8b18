"""Sessions and tokens expire and can be revoked (what tests/test_accounts_* do not cover)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from app.auth.models import ApiToken, VerificationCode
from app.extensions import db
from tests.factories import UserFactory
from tests.support import ApiClient


@pytest.fixture
def app_config():
    return {"PERMANENT_SESSION_LIFETIME": timedelta(seconds=1), "API_TOKEN_TTL_SECONDS": 3600}


def test_signing_out_everywhere_also_ends_every_api_token(app, pages, api):
    user = UserFactory()
    token = api.login(user.email)
    other = ApiClient(app.test_client())
    other.login(user.email)
    pages.login(user.email)
    pages.submit("/account/logout-everywhere", {}, form_page="/account")
    assert api.get("/me").status_code == 401
    assert other.get("/me").status_code == 401
    assert api.delete("/auth/token").status_code == 401  # nothing left to revoke
    fresh = ApiClient(app.test_client())
    fresh.login(user.email)
    assert fresh.get("/me").status_code == 200
    assert fresh.token != token


def test_revoking_a_token_ends_that_token_only(app, api):
    user = UserFactory()
    api.login(user.email)
    other = ApiClient(app.test_client())
    other.login(user.email)
    assert api.delete("/auth/token").status_code == 204
    assert api.get("/me").status_code == 401
    assert other.get("/me").status_code == 200


def test_a_token_lives_as_long_as_the_configured_lifetime(api):
    user = UserFactory()
    response = api.post("/auth/token", {"email": user.email, "password": "correct-horse-42"})
    expires = datetime.fromisoformat(response.json["expires_at"])
    stored = db.session.query(ApiToken).one()
    assert abs((stored.expires_at - stored.created_at).total_seconds() - 3600) < 5
    assert abs((expires - stored.expires_at.replace(tzinfo=expires.tzinfo)).total_seconds()) < 1


def test_a_session_cookie_older_than_the_session_lifetime_is_refused(app, pages):
    """Replayed by hand, so it is the server that refuses it, not the client that drops it."""
    user = UserFactory()
    pages.login(user.email)
    cookie = pages.client.get_cookie("session").value
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/account").status_code == 200
    time.sleep(2.1)  # the lifetime is 1 s here; the signed cookie carries its own timestamp
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    response = replay.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_signing_out_ends_the_session_and_the_page_needs_signing_in_again(pages):
    user = UserFactory()
    pages.login(user.email)
    pages.submit("/logout", {}, form_page="/account")
    assert pages.get("/account").status_code == 302


def test_a_signed_in_browser_cannot_skip_csrf_by_adding_a_bearer_header(app, pages):
    """A cookie-signed-in request is CSRF-checked even when it also carries some
    `Authorization: Bearer …` header: the cookie, not the header, is who acts."""
    user = UserFactory(verified=False)
    pages.login(user.email)
    response = pages.client.post(
        "/api/v1/auth/verification", headers={"Authorization": "Bearer not-a-real-token"}
    )
    assert response.status_code == 400
    assert db.session.query(VerificationCode).count() == 0
