"""The signed session cookie (app/sessions.py): Flask's format and rules, no idle work."""

from __future__ import annotations

from tests.factories import UserFactory


def session_cookie(client):
    return client.get_cookie("session")


def test_a_visitor_without_a_session_gets_no_cookie(client):
    response = client.get("/api/v1/polls")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert session_cookie(client) is None


def test_signing_in_sets_a_session_that_later_requests_read(app, pages):
    user = UserFactory()
    pages.login(user.email)
    assert session_cookie(pages.client) is not None
    assert pages.get("/account").status_code == 200


def test_a_cookie_signed_with_a_retired_key_counts_only_while_it_is_a_fallback(app, pages):
    user = UserFactory()
    pages.login(user.email)
    cookie = session_cookie(pages.client).value
    app.config.update(SECRET_KEY="the-new-key", SECRET_KEY_FALLBACKS=["test-secret"])
    assert pages.get("/account").status_code == 200  # the retired key still reads it
    app.config.update(SECRET_KEY_FALLBACKS=[])
    pages.client.set_cookie("session", cookie)
    assert pages.get("/account").status_code == 302  # not signed by a key in use: signed out


def test_a_tampered_cookie_is_an_empty_session(app, pages):
    user = UserFactory()
    pages.login(user.email)
    cookie = session_cookie(pages.client).value
    pages.client.set_cookie("session", cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB"))
    assert pages.get("/account").status_code == 302
