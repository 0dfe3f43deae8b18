"""Factories for test data, bound to the app's session (built straight into the database)."""

from __future__ import annotations

import factory

from app.auth.models import Role, User, UserRole
from app.auth.passwords import hash_password
from app.db import utcnow
from app.extensions import db

DEFAULT_PASSWORD = "correct-horse-42"
_PASSWORD_HASH = hash_password(DEFAULT_PASSWORD)  # hashing once keeps factories fast


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 (factory_boy wants a callable)
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    """A verified resident unless told otherwise: `UserFactory(verified=False, roles=[...])`."""

    class Meta:
        model = User
        exclude = ("verified", "roles")

    verified = True
    roles: tuple[Role, ...] = ()
    email = factory.Sequence(lambda n: f"user{n}@example.ru")
    display_name = factory.Sequence(lambda n: f"Житель {n}")
    password_hash = _PASSWORD_HASH
    district_code = "khamovniki"
    verified_at = factory.LazyAttribute(lambda o: utcnow() if o.verified else None)
    role_rows = factory.LazyAttribute(lambda o: [UserRole(role=Role(r)) for r in o.roles])
