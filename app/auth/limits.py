"""Rate-limit settings and keys for sign-in, registration and code sending."""

from __future__ import annotations

from flask import Response, current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user


def login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def register_limit() -> str:
    return str(current_app.config["REGISTER_RATE_LIMIT"])


def code_limit() -> str:
    return str(current_app.config["CODE_RATE_LIMIT"])


def failed(response: Response) -> bool:
    """Only refused attempts count towards the sign-in limit (per address). Guessing one
    account's password from many addresses is slowed down by app/auth/throttle.py."""
    return response.status_code in (401, 422)


def user_key() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()
