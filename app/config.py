"""Configuration: the only module that reads the environment.

Every setting has a default that works on a fresh machine (SQLite file, in-process jobs,
log-only notifications); production overrides them with environment variables, see
`.env.example`. `APP_ENV=production` says the app is in production: there, settings that
have no safe default (the keys) must be given, and a missing one stops the app at start.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP_ENVS = ("development", "production")


class ConfigError(RuntimeError):
    """A setting is missing or wrong: the app refuses to start rather than run unsafely."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(raw: str | None, instance_path: Path) -> str:
    """Normalise DATABASE_URL so that PostgreSQL always goes through psycopg 3."""
    if not raw:
        return f"sqlite:///{instance_path / 'grazhdanin.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


class Config:
    """Settings read from the environment once, when the app is created."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = dict(os.environ if environ is None else environ)
        self.APP_ENV = env.get("APP_ENV") or "development"
        if self.APP_ENV not in APP_ENVS:
            raise ConfigError(f"APP_ENV={self.APP_ENV!r}: use one of {', '.join(APP_ENVS)}")
        # The instance folder holds what a machine keeps of its own: the default SQLite
        # database and, in development, the keys made for it (app/keys.py).
        instance_path = Path(env.get("INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()
        self.INSTANCE_PATH = str(instance_path)
        # Signs session cookies and CSRF tokens. Unset in development: made once and kept
        # in the instance folder, so that every worker and process signs with the same key.
        self.SECRET_KEY = env.get("SECRET_KEY") or None
        # Keys the hashes of network addresses and device signatures (poll participations).
        # A key of its own: rotating SECRET_KEY must not change them, nor the other way.
        self.ADDRESS_HASH_KEY = env.get("ADDRESS_HASH_KEY") or None
        # Signs the polls' ledger tree heads (Ed25519): the seed, 64 hex digits. Its public
        # half is published with every head, so observers can tell a head is the site's.
        self.LEDGER_SIGNING_KEY = _ledger_key(env.get("LEDGER_SIGNING_KEY"))
        if self.APP_ENV == "production":
            _require_production_keys(
                self.SECRET_KEY, self.ADDRESS_HASH_KEY, self.LEDGER_SIGNING_KEY
            )
        self.SQLALCHEMY_DATABASE_URI = _database_url(env.get("DATABASE_URL"), instance_path)
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
        # K of issue #17: the fewest voters a published group may hold (an okrug's cell in the
        # results is «менее K» below it; the ballot box will release batches of at least K).
        self.VOTING_MIN_GROUP = int(env.get("VOTING_MIN_GROUP", 20))
        if self.VOTING_MIN_GROUP < 1:
            raise ConfigError(f"VOTING_MIN_GROUP={self.VOTING_MIN_GROUP}: use 1 or more")
        # The proxies (addresses, networks or `*`) whose X-Forwarded-For names the client
        # (app/proxies.py); gunicorn.conf.py gives gunicorn the same, for X-Forwarded-Proto.
        self.FORWARDED_ALLOW_IPS = env.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
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


def _ledger_key(raw: str | None) -> str | None:
    """An Ed25519 seed is 32 bytes: anything else would fail at the first signature."""
    if not raw:
        return None
    value = raw.strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ConfigError(
            "LEDGER_SIGNING_KEY must be 64 hex digits, an Ed25519 seed"
            " (python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return value


def _require_production_keys(
    secret_key: str | None, address_hash_key: str | None, ledger_signing_key: str | None
) -> None:
    """Keys made on the machine would differ between web machines and be lost with it (and a
    ledger key lost with its machine would leave the published heads unverifiable)."""
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", secret_key),
            ("ADDRESS_HASH_KEY", address_hash_key),
            ("LEDGER_SIGNING_KEY", ledger_signing_key),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"APP_ENV=production needs {', '.join(missing)}: set each to a long random"
            " secret, the same on every web machine (python -c 'import secrets;"
            " print(secrets.token_hex(32))')"
        )
    if secret_key == address_hash_key:
        raise ConfigError("SECRET_KEY and ADDRESS_HASH_KEY must be different secrets")


def engine_options(url: str) -> dict[str, object]:
    """Connection settings that suit the database the URL names.

    `hide_parameters`: a statement's values never reach a log or an error message (a failed
    vote's would name the voter beside their choices); the SQL itself still does.
    """
    if url.startswith("sqlite"):
        # Several threads (in-process jobs, test servers) share the file; wait instead of failing.
        return {
            "connect_args": {"timeout": 30, "check_same_thread": False},
            "hide_parameters": True,
        }
    # No pool_pre_ping: app.pool finds connections the server closed without a round trip.
    return {"pool_size": 10, "max_overflow": 20, "hide_parameters": True}
