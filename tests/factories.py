"""Factories for test data, bound to the app's session (built straight into the database)."""

from __future__ import annotations

import factory

from app.auth.models import Role, User, UserRole
from app.auth.passwords import hash_password
from app.db import utcnow
from app.extensions import db
from ideas.models import (
    Comment,
    Idea,
    IdeaStatus,
    ModerationMode,
    Project,
    ProjectStage,
    Section,
)
from ideas.services import note_participant
from ideas.text_index import idea_text, normalize

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


class ProjectFactory(BaseFactory):
    """A project in the ideas stage, post-moderated, with two sections."""

    class Meta:
        model = Project

    title = factory.Sequence(lambda n: f"Проект {n}: центр госуслуг будущего")
    description = "Предлагайте, каким должен быть офис госуслуг."
    stage = ProjectStage.IDEAS
    moderation = ModerationMode.POST
    sections = factory.LazyFunction(
        lambda: [
            Section(title="Очереди и запись", position=0),
            Section(title="Доступная среда", position=1),
        ]
    )


class SectionFactory(BaseFactory):
    class Meta:
        model = Section

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Раздел {n}")
    position = 5


def _first_section(idea: object) -> Section:
    return idea.project.sections[0]  # type: ignore[attr-defined]


class IdeaFactory(BaseFactory):
    """A published idea with its normalized text, by a fresh verified author."""

    class Meta:
        model = Idea

    project = factory.SubFactory(ProjectFactory)
    section = factory.LazyAttribute(_first_section)
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Идея номер {n} для центров госуслуг")
    body = "Сделать так, чтобы в центре госуслуг было удобно всем посетителям."
    status = IdeaStatus.PUBLISHED
    published_at = factory.LazyFunction(utcnow)
    normalized_text = factory.LazyAttribute(lambda o: normalize(idea_text(o.title, o.body)))

    @factory.post_generation
    def participant(obj, create, extracted, **kwargs):
        if create and obj.author_id is not None:
            note_participant(obj.project_id, obj.author_id)
            db.session.commit()


class CommentFactory(BaseFactory):
    class Meta:
        model = Comment

    idea = factory.SubFactory(IdeaFactory)
    author = factory.SubFactory(UserFactory)
    body = "Полностью согласен, так будет лучше."

    @factory.post_generation
    def participant(obj, create, extracted, **kwargs):
        if create:
            note_participant(obj.idea.project_id, obj.author_id)
            db.session.commit()


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
