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


def make_poll(
    staff: User | None = None,
    *,
    questions: list[dict] | None = None,
    audience: object = "everyone",
    results: str = "after_close",
    open_now: bool = True,
    **fields: object,
):
    """A poll built through the services (so it obeys their rules), open unless told not to.

    The default has a single-choice question (2 options) and a multiple-choice one (4 options,
    at most 2).
    """
    from voting.drafting import create_poll
    from voting.services import open_poll

    staff = staff or UserFactory(roles=[Role.STAFF])
    poll = create_poll(
        staff,
        title=fields.pop("title", "Флагманский офис «Мои документы»"),
        description=fields.pop("description", "Какие услуги добавить?"),
        questions=questions
        or [
            {"text": "Нужен ли флагманский офис?", "kind": "single", "options": ["Да", "Нет"]},
            {
                "text": "Какие услуги добавить?",
                "kind": "multiple",
                "max_choices": 2,
                "options": ["Банк", "Нотариус", "Фотостудия", "Мелкий ремонт"],
            },
        ],
        audience=audience,
        results=results,
        **fields,
    )
    if open_now:
        open_poll(poll)
    db.session.commit()
    return poll
