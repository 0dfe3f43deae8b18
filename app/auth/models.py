"""Accounts: users with several roles, API tokens, one-time verification codes, and the
count of failed sign-ins that slows guessing down."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import str_enum, utcnow
from app.districts import get_district, get_okrug
from app.extensions import db


class Role(enum.StrEnum):
    RESIDENT = "resident"
    EXPERT = "expert"
    MODERATOR = "moderator"
    STAFF = "staff"
    ADMIN = "admin"


class StandingMixin:
    """What permission checks ask of an account: roles, verification, blocking, place.

    Shared by `User` and by `TokenHolder` (app.auth.services), the few columns of an account
    that the vote path reads in one query instead of loading the whole account.
    """

    district_code: str | None
    verified_at: datetime | None
    blocked_at: datetime | None

    @property
    def roles(self) -> set[Role]:
        raise NotImplementedError

    def has_role(self, *roles: Role | str) -> bool:
        """True if the account holds any of `roles`; admins hold every role."""
        mine = self.roles
        return Role.ADMIN in mine or any(Role(role) in mine for role in roles)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    @property
    def okrug_code(self) -> str | None:
        district = get_district(self.district_code)
        return district.okrug_code if district else None


class User(StandingMixin, UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    district_code: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None]
    blocked_at: Mapped[datetime | None]
    blocked_reason: Mapped[str | None] = mapped_column(String(500))
    # Bumped to end every session and token at once (password change, "sign out everywhere").
    session_version: Mapped[int] = mapped_column(default=1)

    # Loaded when a role is asked about, not with every user: most requests never ask.
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select"
    )

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows} | {Role.RESIDENT}

    @property
    def district_name(self) -> str | None:
        district = get_district(self.district_code)
        return district.name if district else None

    @property
    def okrug_abbrev(self) -> str | None:
        okrug = get_okrug(self.okrug_code) if self.okrug_code else None
        return okrug.abbrev if okrug else None

    def get_id(self) -> str:
        # The version makes old session cookies invalid once it is bumped.
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(
        str_enum(Role),
        primary_key=True,
    )
    user: Mapped[User] = relationship(back_populates="role_rows")


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    session_version: Mapped[int] = mapped_column(default=1)

    user: Mapped[User] = relationship()


class VerificationCode(db.Model):
    """A one-time code sent through the outbox; only its hash is stored."""

    __tablename__ = "verification_codes"
    __table_args__ = (Index("ix_verification_codes_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]


class SignInThrottle(db.Model):
    """An account's failed sign-ins in a row, for the growing wait before its next try
    (app/auth/throttle.py). No row: no recent failure, no wait."""

    __tablename__ = "sign_in_throttles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    failures: Mapped[int]
    last_failed_at: Mapped[datetime]


__all__ = ["ApiToken", "Role", "SignInThrottle", "User", "UserRole", "VerificationCode"]
