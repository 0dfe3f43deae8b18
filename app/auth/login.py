"""Flask-Login wiring: session cookies for pages, bearer tokens for API clients."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from app.auth.models import User
from app.auth.services import resolve_token
from app.errors import is_api_request, problem
from app.extensions import db, login_manager
from app.numbers import parse_int


def _load_user(user_id: str) -> User | None:
    """Session cookies carry `id:version`; bumping the version ends every session."""
    raw_id, _sep, raw_version = user_id.partition(":")
    number, version = parse_int(raw_id), parse_int(raw_version)
    if number is None or version is None:
        return None
    user = db.session.get(User, number)
    if user is None or user.session_version != version:
        return None
    return user


def token_in_authorization(header: str) -> str | None:
    """The raw token of an `Authorization: Bearer …` header's value, if it holds one."""
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def bearer_token(req: Request) -> str | None:
    """The raw token of the request's `Authorization: Bearer …` header, if it has one."""
    return token_in_authorization(req.headers.get("Authorization", ""))


def signed_in_by_cookie() -> bool:
    """Whether the session cookie names a user: Flask-Login then prefers it to a token."""
    return "_user_id" in session


def _load_user_from_request(req: Request) -> User | None:
    raw = bearer_token(req)
    return resolve_token(raw) if raw else None


def _unauthorized() -> Any:
    if is_api_request():
        return problem(
            401, str(_l("Нужен действующий токен или вход в систему.")), code="unauthorized"
        )
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Войдите, чтобы продолжить.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)
    login_manager.request_loader(_load_user_from_request)
    login_manager.unauthorized_handler(_unauthorized)
