"""Accounts: registration, sign-in, bearer tokens, verification codes, roles and blocking.

Services flush and let the caller commit; they raise `DomainError`s, never HTTP answers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import psycopg

from app.auth.models import ApiToken, Role, StandingMixin, User, UserRole, VerificationCode
from app.auth.passwords import hash_password, needs_rehash, verify_password
from app.auth.throttle import forget_failed_sign_ins, record_failed_sign_in, refuse_if_waiting
from app.db import utcnow
from app.districts import find_district
from app.driver_sql import fetch_rows
from app.errors import Conflict, Invalid
from app.extensions import db
from app.notifications.models import Channel
from app.notifications.services import notify
from app.numbers import parse_int
from app.text import check_text

PASSWORD_MIN = 8
PASSWORD_MAX = 128
MAX_CODE_ATTEMPTS = 5


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalize_email(raw: object) -> tuple[str, list[str]]:
    if not isinstance(raw, str) or not raw.strip():
        return "", [_("Укажите адрес электронной почты.")]
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        return raw.strip(), [_("Это не похоже на адрес электронной почты.")]
    return checked.normalized.lower(), []


def _check_password(password: object) -> list[str]:
    if not isinstance(password, str) or not password:
        return [_("Придумайте пароль.")]
    if len(password) < PASSWORD_MIN:
        return [_("Пароль должен быть не короче %(n)s символов.", n=PASSWORD_MIN)]
    if len(password) > PASSWORD_MAX:
        return [_("Пароль должен быть не длиннее %(n)s символов.", n=PASSWORD_MAX)]
    return []


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def register_user(
    email: object,
    password: object,
    display_name: object,
    district: object,
    *,
    roles: tuple[Role, ...] = (),
    verified: bool = False,
) -> User:
    """Create an account. All field problems are reported together, then the e-mail's uniqueness."""
    errors: dict[str, list[str]] = {}
    email_value, problems = normalize_email(email)
    if problems:
        errors["email"] = problems
    if problems := _check_password(password):
        errors["password"] = problems
    name, problems = check_text(display_name, min_length=2, max_length=80)
    if problems:
        errors["display_name"] = problems
    found = find_district(district) if isinstance(district, str) else None
    if found is None:
        errors["district"] = [_("Выберите район Москвы из списка.")]
    if errors:
        raise Invalid(_("Проверьте выделенные поля."), errors=errors)
    if get_user_by_email(email_value) is not None:
        raise Conflict(
            _("Этот адрес уже зарегистрирован."),
            errors={"email": [_("Этот адрес уже зарегистрирован.")]},
        )
    if found is None or not isinstance(password, str):  # unreachable: both were checked above
        raise Invalid(_("Проверьте выделенные поля."))
    user = User(
        email=email_value,
        password_hash=hash_password(password),
        display_name=name,
        district_code=found.code,
        verified_at=utcnow() if verified else None,
    )
    user.role_rows = [UserRole(role=role) for role in set(roles) - {Role.RESIDENT}]
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: object, password: object) -> User | None:
    """The user these credentials belong to, or None; blocked users may still sign in.

    A try on an account that must still wait after failed ones (app/auth/throttle.py) is
    refused with `TooManyAttempts` before the password is checked. A failure is counted in
    the session: the caller commits it, refusal or not.
    """
    if not isinstance(email, str) or not isinstance(password, str):
        return None
    user = get_user_by_email(email.strip())
    now = utcnow()
    failures = refuse_if_waiting(user.id, now) if user is not None else 0
    if not verify_password(user.password_hash if user else None, password) or user is None:
        if user is not None:
            record_failed_sign_in(user.id, now)
        return None
    if failures:
        forget_failed_sign_ins(user.id)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def issue_token(user: User, ttl: timedelta) -> tuple[str, ApiToken]:
    """A new bearer token; the raw value is returned once and only its hash is kept."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        token_hash=_digest(raw),
        expires_at=utcnow() + ttl,
        session_version=user.session_version,
    )
    db.session.add(token)
    db.session.flush()
    return raw, token


# Built once: every API request runs this, and building the statement costs more than
# looking it up in SQLAlchemy's compiled cache.
_LIVE_TOKEN_USER = (
    select(User, ApiToken.session_version)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
    )
)


def resolve_token(raw: str) -> User | None:
    """The user a live token belongs to, in one query (every API request pays for this)."""
    row = db.session.execute(
        _LIVE_TOKEN_USER, {"token_hash": _digest(raw), "now": utcnow()}
    ).first()
    if row is None or row[0].session_version != row[1]:
        return None
    return row[0]


@dataclass(frozen=True)
class TokenHolder(StandingMixin):
    """A bearer token's holder as far as permission checks and casting a ballot need them.

    Read by `token_holder` in one query: loading the whole account through the ORM was
    the largest Python cost of an API vote, the platform's busiest write.
    """

    id: int
    district_code: str | None
    verified_at: datetime | None
    blocked_at: datetime | None
    role_set: frozenset[Role]

    @property
    def roles(self) -> set[Role]:
        return set(self.role_set) | {Role.RESIDENT}


# One row per role the holder has (one row with no role for most residents).
_LIVE_TOKEN_HOLDER = (
    select(User.id, User.district_code, User.verified_at, User.blocked_at, UserRole.role)
    .join(ApiToken, ApiToken.user_id == User.id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
        ApiToken.session_version == User.session_version,
    )
)
_LIVE_TOKEN_HOLDER_POSTGRESQL = str(_LIVE_TOKEN_HOLDER.compile(dialect=psycopg.dialect()))


def token_holder(raw: str, conn: Connection) -> TokenHolder | None:
    """The holder of a live token, as `resolve_token` would find them, without the ORM.

    On PostgreSQL the query goes straight to the driver (`fetch_rows`): it runs on every
    API vote.
    """
    params = {"token_hash": _digest(raw), "now": utcnow()}
    if conn.dialect.name == "postgresql":
        rows = fetch_rows(conn, _LIVE_TOKEN_HOLDER_POSTGRESQL, params)
    else:
        rows = [tuple(row) for row in conn.execute(_LIVE_TOKEN_HOLDER, params)]
    if not rows:
        return None
    holder_id, district_code, verified_at, blocked_at, _role = rows[0]
    return TokenHolder(
        id=holder_id,
        district_code=district_code,
        verified_at=verified_at,
        blocked_at=blocked_at,
        role_set=frozenset(Role(row[4]) for row in rows if row[4] is not None),
    )


def revoke_token(raw: str) -> bool:
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == _digest(raw), ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere: cookies and tokens issued before now stop working."""
    user.session_version += 1
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def send_verification_code(user: User, ttl: timedelta) -> VerificationCode:
    """Make a 6-digit code and put it in the outbox (e-mail); earlier codes stop working."""
    if user.is_verified:
        raise Conflict(_("Аккаунт уже подтверждён."))
    now = utcnow()
    db.session.execute(
        update(VerificationCode)
        .where(VerificationCode.user_id == user.id, VerificationCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = VerificationCode(
        user_id=user.id, code_hash=_digest(f"{user.id}:{code}"), expires_at=now + ttl
    )
    db.session.add(row)
    minutes = max(1, int(ttl.total_seconds() // 60))
    notify(
        [user],
        "verification_code",
        _("Код подтверждения: %(code)s", code=code),
        _(
            "Ваш код подтверждения: %(code)s. Он действует %(minutes)s мин. "
            "Если вы не запрашивали код, просто проигнорируйте это письмо.",
            code=code,
            minutes=minutes,
        ),
        channels=(Channel.EMAIL,),
    )
    db.session.flush()
    return row


def confirm_verification(user: User, code: object) -> None:
    """Check the latest code; wrong tries count, and a code dies after a few of them."""
    if user.is_verified:
        raise Conflict(_("Аккаунт уже подтверждён."))
    if not isinstance(code, str) or parse_int(code.strip()) is None or len(code.strip()) != 6:
        raise Invalid(_("Код — это 6 цифр."), errors={"code": [_("Код — это 6 цифр.")]})
    row = db.session.scalar(
        select(VerificationCode)
        .where(VerificationCode.user_id == user.id, VerificationCode.used_at.is_(None))
        .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc())
        .limit(1)
    )
    now = utcnow()
    if row is None or row.expires_at <= now or row.attempts >= MAX_CODE_ATTEMPTS:
        message = _("Код устарел или не запрашивался. Запросите новый код.")
        raise Invalid(message, errors={"code": [message]})
    if not hmac.compare_digest(row.code_hash, _digest(f"{user.id}:{code.strip()}")):
        _count_wrong_attempt(row.id)
        message = _("Неверный код.")
        raise Invalid(message, errors={"code": [message]})
    row.used_at = now
    user.verified_at = now


def _count_wrong_attempt(code_id: int) -> None:
    """Count a wrong try in a transaction of its own, so the refusal's rollback keeps it."""
    with db.engine.begin() as conn:
        conn.execute(
            update(VerificationCode)
            .where(VerificationCode.id == code_id)
            .values(attempts=VerificationCode.attempts + 1)
        )


def set_roles(user: User, roles: set[Role]) -> None:
    wanted = set(roles) - {Role.RESIDENT}
    user.role_rows = [row for row in user.role_rows if row.role in wanted]
    have = {row.role for row in user.role_rows}
    user.role_rows.extend(UserRole(role=role) for role in wanted - have)


def block_user(user: User, reason: str | None = None, at: datetime | None = None) -> None:
    user.blocked_at = at or utcnow()
    user.blocked_reason = (reason or "")[:500] or None


def unblock_user(user: User) -> None:
    user.blocked_at = None
    user.blocked_reason = None
