"""Accounts through the HTML pages: forms, CSRF, sessions, language."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from tests.factories import UserFactory


def test_home_page_is_russian_by_default(pages):
    html = pages.get("/").get_data(as_text=True)
    assert '<html lang="ru">' in html
    assert "Как это работает" in html


def test_register_page_creates_account_signs_in_and_asks_for_code(pages):
    response = pages.submit(
        "/register",
        {
            "email": "petr@example.ru",
            "password": "long-password",
            "display_name": "Пётр",
            "district": "arbat",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/verify")
    html = pages.get("/account/verify").get_data(as_text=True)
    assert "petr@example.ru" in html


def test_register_page_shows_field_errors_in_russian_and_keeps_nothing(pages):
    response = pages.submit(
        "/register", {"email": "bad", "password": "1", "display_name": "", "district": ""}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Это не похоже на адрес электронной почты." in html
    assert "Выберите район Москвы из списка." in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_form_without_csrf_token_is_refused(client):
    response = client.post(
        "/register",
        data={
            "email": "a@b.ru",
            "password": "long-password",
            "display_name": "Аня",
            "district": "arbat",
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_api_call_with_session_cookie_needs_csrf_header(pages, client):
    user = UserFactory(verified=False)
    assert client.post("/api/v1/auth/verification").status_code == 401
    pages.login(user.email)
    assert pages.client.post("/api/v1/auth/verification").status_code == 400
    token = pages.csrf_token("/account/verify")
    response = pages.client.post("/api/v1/auth/verification", headers={"X-CSRFToken": token})
    assert response.status_code == 202


def test_login_wrong_password_shows_error(pages):
    user = UserFactory()
    response = pages.submit("/login", {"email": user.email, "password": "nope-nope"})
    assert response.status_code == 401
    assert "Неверный адрес или пароль." in response.get_data(as_text=True)


def test_login_follows_only_local_next(pages):
    user = UserFactory()
    token = pages.csrf_token("/login")
    response = pages.client.post(
        "/login?next=https://evil.example/x",
        data={"email": user.email, "password": "correct-horse-42", "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_pages_that_need_sign_in_redirect_to_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_verify_page_confirms_code_from_outbox(pages):
    from app.notifications.models import Notification

    user = UserFactory(verified=False)
    pages.login(user.email)
    pages.submit("/account/verify/send", {}, form_page="/account/verify")
    body = db.session.scalars(select(Notification.body).order_by(Notification.id.desc())).first()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    response = pages.submit("/account/verify", {"code": code})
    assert response.status_code == 302
    assert "Подтверждён" in pages.get("/account").get_data(as_text=True)


def test_logout_everywhere_ends_other_sessions(app, pages):
    user = UserFactory()
    other = app.test_client()
    from tests.support import PageClient

    PageClient(other).login(user.email)
    pages.login(user.email)
    pages.submit("/account/logout-everywhere", {}, form_page="/account")
    assert other.get("/account").status_code == 302


def test_language_switch_to_english_and_back(pages):
    response = pages.submit("/language", {"lang": "en", "next": "/login"}, form_page="/")
    assert response.headers["Location"] == "/login"
    html = pages.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in" in html
    pages.submit("/language", {"lang": "ru", "next": "/"}, form_page="/")
    assert "Вход" in pages.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(
    "header",
    ["Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"],
)
def test_security_headers_on_pages(client, header):
    assert header in client.get("/").headers


def test_csp_allows_no_inline_script_and_no_framing(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_session_cookie_is_httponly_and_samesite(pages):
    user = UserFactory()
    response = pages.login(user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_health_checks_database(client):
    assert client.get("/healthz").json == {"status": "ok", "database": "up"}


def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second
    assert client.get("/", headers={"X-Request-ID": "trace-12345678"}).headers["X-Request-ID"] == (
        "trace-12345678"
    )
    assert (
        client.get("/", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"] != "<script>"
    )


def test_access_log_names_request_and_status(client, caplog):
    caplog.set_level("INFO", logger="app.access")
    response = client.get("/api/v1/districts")
    record = next(r for r in caplog.records if r.name == "app.access")
    assert record.request_id == response.headers["X-Request-ID"]
    assert record.fields["status"] == 200
    assert record.fields["path"] == "/api/v1/districts"


def test_access_log_names_the_signed_in_user(api, caplog):
    user = UserFactory()
    api.login(user.email)
    caplog.set_level("INFO", logger="app.access")
    assert api.get("/me").status_code == 200
    record = next(r for r in caplog.records if r.name == "app.access")
    assert record.fields["user"] == user.id


def test_signed_in_session_cookie_expires(pages):
    user = UserFactory()
    cookie = pages.login(user.email).headers["Set-Cookie"]
    assert "Expires=" in cookie


def test_blocked_user_may_sign_in_and_read_but_not_act(app):
    from app.auth.permissions import require_user
    from app.db import utcnow
    from app.errors import Forbidden

    user = UserFactory(blocked_at=utcnow())
    with app.test_request_context():
        from flask_login import login_user

        login_user(user)
        assert require_user(active=False) == user
        with pytest.raises(Forbidden):
            require_user()
