"""Shared pieces of the hostile-input tests: the OpenAPI document, seeded rows, naughty strings.

The document does not depend on the database, so it is read once per process from an app on
an in-memory SQLite database; the tests themselves use the `app` fixture's fresh database.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from app import create_app
from app.auth.models import Role, User
from app.auth.services import issue_token
from app.extensions import db
from ideas.models import ProjectStage
from ideas.review.results import publish
from tests.factories import CommentFactory, IdeaFactory, ProjectFactory, UserFactory, make_poll
from voting.ballots import cast_ballot
from voting.models import Poll
from voting.services import close_poll

NAUGHTY: list[str] = json.loads(
    (Path(__file__).parent / "data" / "naughty_strings.json").read_text("utf-8")
)
FULL = os.environ.get("RELIABILITY_SCALE") == "full"


@cache
def openapi_document() -> dict[str, Any]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "doc",
            "ADDRESS_HASH_KEY": "doc-hash",
            "LEDGER_SIGNING_KEY": "d0" * 32,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    return app.test_client().get("/api/v1/openapi.json").json


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation of the document, in document order."""
    return [
        (method.upper(), path, op)
        for path, ops in openapi_document()["paths"].items()
        for method, op in ops.items()
    ]


@dataclass
class Seeded:
    """Rows a fresh database gets so that path ids sometimes point at something real."""

    token: str
    admin: User
    ids: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def seed() -> Seeded:
    """An admin with a token, a resident; a project taking ideas and one with published
    results, ideas and comments; an open poll and a closed one with a ballot."""
    admin = UserFactory(roles=[Role.ADMIN], display_name="Администратор")
    resident = UserFactory()
    project = ProjectFactory()
    finished = ProjectFactory(stage=ProjectStage.RATING)
    ideas = [
        IdeaFactory(project=each, section=section)
        for each in (project, finished)
        for section in each.sections
    ]
    comments = [CommentFactory(idea=idea) for idea in ideas]
    publish(admin, finished)
    poll = make_poll(staff=admin)
    closed = make_poll(staff=admin)
    receipt = cast_ballot(resident, closed.id, _first_choices(closed))
    close_poll(closed)
    raw, _token = issue_token(admin, timedelta(hours=1))
    db.session.commit()
    return Seeded(
        token=raw,
        admin=admin,
        ids={
            "project_id": [project.id, finished.id],
            "idea_id": [idea.id for idea in ideas],
            "comment_id": [comment.id for comment in comments],
            "poll_id": [poll.id, closed.id],
            "user_id": [resident.id],
            "receipt": [receipt],
        },
    )


def _first_choices(poll: Poll) -> list[dict[str, Any]]:
    return [{"question_id": q.id, "option_ids": [q.options[0].id]} for q in poll.questions]
