"""One small city for the access tests: a user per role and a real row for every URL parameter.

Built once per module through the factories and the services, so every rule of the URL map
can be called with ids that resolve: someone else's pending idea (and a moderator's own), a
draft project, a draft, an open and a closed poll (with a receipt), a closed one with a
published decision, a finished clustering run, a review, a comment, published results with
an implemented idea. Every person has an e-mail and a phone, so the
personal-data tests can look for both in everything the app shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.auth.models import Role, User
from app.db import utcnow
from app.extensions import db
from ideas.clustering.services import start_run
from ideas.models import IdeaStatus, ModerationMode, ProjectStage
from ideas.review.results import publish
from ideas.review.reviews import review_idea
from ideas.review.selection import select_ideas, set_implementation
from tests.factories import CommentFactory, IdeaFactory, ProjectFactory, UserFactory, make_poll
from voting.ballots import cast_ballot
from voting.services import close_poll, publish_decision

ROLES = ("anonymous", "resident", "unverified", "blocked", "expert", "moderator", "staff", "admin")

# Texts for a clustering run: three clear topics, two ideas each.
TOPIC_TEXTS = (
    "Электронная очередь в центре госуслуг без ожидания",
    "Запись в очередь через приложение и уведомление о времени",
    "Пандус и кнопка вызова для маломобильных посетителей",
    "Доступная среда: лифт и широкие двери для колясок",
    "Парковка у центра госуслуг для посетителей",
    "Места на парковке для людей с инвалидностью у входа",
)

SCORES = {"usefulness": 5, "feasibility": 4, "cost": 3, "reach": 4}


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    phone: str
    display_name: str


@dataclass
class Scenario:
    """What was built: `people` by role (and "author", "victim"), row ids by name."""

    people: dict[str, Person] = field(default_factory=dict)
    ids: dict[str, int | str] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # while building only
    password_hash: str = ""

    @property
    def emails(self) -> set[str]:
        return {person.email for person in self.people.values()}

    @property
    def phones(self) -> set[str]:
        return {person.phone for person in self.people.values()}


def _person(scenario: Scenario, label: str, **fields: object) -> User:
    number = len(scenario.users) + 1
    user = UserFactory(
        password_hash=scenario.password_hash,
        email=f"person{number}.private@mail-example.ru",
        phone=f"+7 916 555-{number:02d}-{number + 10:02d}",
        **fields,
    )
    scenario.users[label] = user
    return user


def build_scenario(password_hash: str) -> Scenario:
    """Everyone's password is tests.factories.DEFAULT_PASSWORD, hashed as given."""
    scenario = Scenario(password_hash=password_hash)
    _person(scenario, "resident", display_name="Жительница Анна")
    _person(scenario, "unverified", display_name="Новичок Борис", verified=False)
    _person(scenario, "blocked", display_name="Нарушитель Глеб", blocked_at=utcnow())
    _person(scenario, "expert", display_name="Эксперт Дарья", roles=[Role.EXPERT])
    _person(scenario, "moderator", display_name="Модератор Ева", roles=[Role.MODERATOR])
    _person(scenario, "colleague", display_name="Модератор Ирина", roles=[Role.MODERATOR])
    _person(scenario, "staff", display_name="Сотрудник Жанна", roles=[Role.STAFF])
    _person(scenario, "admin", display_name="Админ Зоя", roles=[Role.ADMIN])
    author = _person(scenario, "author", display_name="Автор Мария")
    _person(scenario, "victim", display_name="Житель Олег")

    _ideas_project(scenario, author)
    _review_project(scenario, author)
    _results_project(scenario, author)
    _polls(scenario, author)
    db.session.commit()
    scenario.people = {
        label: Person(user.id, user.email, user.phone or "", user.display_name)
        for label, user in scenario.users.items()
    }
    scenario.ids.update(author_id=scenario.people["author"].id)
    scenario.ids.update(victim_id=scenario.people["victim"].id)
    scenario.ids.update(victim_email=scenario.people["victim"].email)
    for label in ("expert", "moderator", "colleague", "staff", "admin"):
        scenario.ids[f"{label}_id"] = scenario.people[label].id
    scenario.users = {}
    return scenario


def _ideas_project(scenario: Scenario, author: User) -> None:
    ids = scenario.ids
    project = ProjectFactory(stage=ProjectStage.IDEAS)
    idea = IdeaFactory(project=project, author=author)
    own = IdeaFactory(project=project, author=scenario.users["resident"])
    comment = CommentFactory(idea=idea, author=author)
    premoderated = ProjectFactory(stage=ProjectStage.IDEAS, moderation=ModerationMode.PRE)
    pending = IdeaFactory(
        project=premoderated, author=author, status=IdeaStatus.PENDING, published_at=None
    )
    own_pending = IdeaFactory(
        project=premoderated,
        author=scenario.users["resident"],
        status=IdeaStatus.PENDING,
        published_at=None,
    )
    moderators_pending = IdeaFactory(
        project=premoderated,
        author=scenario.users["moderator"],
        status=IdeaStatus.PENDING,
        published_at=None,
    )
    draft_project = ProjectFactory(stage=ProjectStage.DRAFT)
    ids.update(
        project_id=project.id,
        section_id=project.sections[0].id,
        idea_id=idea.id,
        own_idea_id=own.id,
        comment_id=comment.id,
        pending_idea_id=pending.id,
        own_pending_idea_id=own_pending.id,
        moderators_pending_idea_id=moderators_pending.id,
        draft_project_id=draft_project.id,
    )


def _review_project(scenario: Scenario, author: User) -> None:
    """Expert review: a finished clustering run over six ideas and one review."""
    project = ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)
    ideas = [IdeaFactory(project=project, author=author, title=t, body=t) for t in TOPIC_TEXTS]
    review_idea(scenario.users["expert"], ideas[0], SCORES, comment="Полезно", shortlist=True)
    run = start_run(project, scenario.users["staff"], k=3)
    db.session.commit()  # the clustering job runs after the commit (eagerly in tests)
    db.session.refresh(run)
    scenario.ids.update(
        review_project_id=project.id,
        review_idea_id=ideas[0].id,
        run_id=run.id,
        cluster_id=run.clusters[0].id,
    )


def _results_project(scenario: Scenario, author: User) -> None:
    """Published results with a selected idea whose implementation is under way."""
    staff = scenario.users["staff"]
    project = ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)
    idea = IdeaFactory(project=project, author=author)
    IdeaFactory(project=project, author=scenario.users["resident"])
    select_ideas(staff, project, [idea.id])
    set_implementation(staff, idea, "in_progress", 40, "Проект готовится")
    publish(staff, project)
    scenario.ids.update(results_project_id=project.id, selected_idea_id=idea.id)


def _polls(scenario: Scenario, author: User) -> None:
    staff = scenario.users["staff"]
    questions = [
        {"text": "Нужен ли флагманский офис?", "kind": "single", "options": ["Да", "Нет"]},
        {"text": "Что ещё добавить в офис?", "kind": "open"},
    ]
    draft = make_poll(staff, title="Черновик опроса о парках", open_now=False)
    opened = make_poll(staff, title="Опрос об офисах госуслуг", questions=questions)
    closed = make_poll(staff, title="Итоги опроса о библиотеках", questions=questions)
    single, free = closed.questions
    receipt = ""
    for voter, text in ((author, "Кофейню в зоне ожидания"), (scenario.users["resident"], "Кафе")):
        answers = [
            {"question_id": single.id, "option_ids": [single.options[0].id]},
            {"question_id": free.id, "text": text},
        ]
        receipt = cast_ballot(voter, closed.id, answers)
        db.session.commit()
    close_poll(closed)
    decided = make_poll(staff, title="Итоги опроса о парковках")
    close_poll(decided)
    publish_decision(decided, "Парковку у центра госуслуг расширят на 40 мест.", staff)
    db.session.commit()
    scenario.ids.update(
        draft_poll_id=draft.id,
        open_poll_id=opened.id,
        poll_id=closed.id,
        decided_poll_id=decided.id,
        question_id=free.id,
        receipt=receipt,
    )
