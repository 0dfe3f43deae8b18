"""Configuration: the only module that reads the environment.

Every setting has a default that works on a fresh machine (SQLite file, in-process jobs,
log-only notifications); production overrides them with environment variables, see
`.env.example`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(raw: str | None) -> str:
    """Normalise DATABASE_URL so that PostgreSQL always goes through psycopg 3."""
    if not raw:
        return f"sqlite:///{PROJECT_ROOT / 'instance' / 'grazhdanin.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


class Config:
    """Settings read from the environment once, when the app is created."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = dict(os.environ if environ is None else environ)
        self.SECRET_KEY = env.get("SECRET_KEY") or secrets.token_hex(32)
        self.SQLALCHEMY_DATABASE_URI = _database_url(env.get("DATABASE_URL"))
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI") or (
            self.REDIS_URL or "memory://"
        )
        self.RATELIMIT_ENABLED = _bool(env.get("RATELIMIT_ENABLED"), True)
        # Redis away: count in this process's memory until it answers again, never fail a request.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.LOGIN_RATE_LIMIT = env.get("LOGIN_RATE_LIMIT", "10 per minute")
        self.REGISTER_RATE_LIMIT = env.get("REGISTER_RATE_LIMIT", "10 per hour")
        self.CODE_RATE_LIMIT = env.get("CODE_RATE_LIMIT", "5 per 15 minutes")
        self.COMMENT_RATE_LIMIT = env.get("COMMENT_RATE_LIMIT", "10 per minute")
        self.SESSION_COOKIE_SECURE = _bool(env.get("SESSION_COOKIE_SECURE"), False)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.PERMANENT_SESSION_LIFETIME = int(env.get("SESSION_LIFETIME_SECONDS", 60 * 60 * 24 * 7))
        self.FORCE_HTTPS = _bool(env.get("FORCE_HTTPS"), False)
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_CONTENT_LENGTH", 1024 * 1024))
        self.API_TOKEN_TTL_SECONDS = int(env.get("API_TOKEN_TTL_SECONDS", 60 * 60 * 24 * 30))
        self.VERIFICATION_CODE_TTL_SECONDS = int(env.get("VERIFICATION_CODE_TTL_SECONDS", 15 * 60))
        self.JOBS_EAGER = _bool(env.get("JOBS_EAGER"), False)
        self.JOBS_THREADS = int(env.get("JOBS_THREADS", 2))
        self.JOBS_QUEUE = env.get("JOBS_QUEUE", "grazhdanin")
        self.MAIL_SENDER = env.get("MAIL_SENDER", "noreply@grazhdanin.local")
        self.SMTP_HOST = env.get("SMTP_HOST") or None
        self.SMTP_PORT = int(env.get("SMTP_PORT", 587))
        self.SMTP_USER = env.get("SMTP_USER") or None
        self.SMTP_PASSWORD = env.get("SMTP_PASSWORD") or None
        self.SMTP_STARTTLS = _bool(env.get("SMTP_STARTTLS"), True)
        self.LOG_LEVEL = env.get("LOG_LEVEL", "INFO")
        self.LOG_FORMAT = env.get("LOG_FORMAT", "text")  # or "json"
        self.BABEL_DEFAULT_LOCALE = "ru"
        self.BABEL_DEFAULT_TIMEZONE = "Europe/Moscow"
        self.LANGUAGES = ("ru", "en")
        self.BOOTSTRAP_SERVE_LOCAL = True
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    def as_dict(self) -> dict[str, object]:
        return {key: value for key, value in vars(self).items() if key.isupper()}


def engine_options(url: str) -> dict[str, object]:
    """Connection settings that suit the database the URL names."""
    if url.startswith("sqlite"):
        # Several threads (in-process jobs, test servers) share the file; wait instead of failing.
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    # No pool_pre_ping: app.pool finds connections the server closed without a round trip.
    return {"pool_size": 10, "max_overflow": 20}
