"""Naughty strings stored through the API show in the browser exactly as written and run
nothing: every HTML/script-injection string of the list and a sample of the others, as
comments, idea titles and bodies, poll options, display names and items in the moderation
queue. No dialog opens, the console stays clean, and each text is in the page's text."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.auth.models import Role, User
from app.db import utcnow
from app.extensions import db
from ideas.models import ModerationMode
from tests.factories import DEFAULT_PASSWORD, IdeaFactory, ProjectFactory, UserFactory
from tests.fuzz_support import NAUGHTY
from tests.support import ApiClient

pytestmark = pytest.mark.browser

INJECTION = [s for s in NAUGHTY if re.search(r"<|javascript:|alert\(|on\w+=", s, re.I)]
OTHERS = [s for s in NAUGHTY if s not in INJECTION][::25]
STRINGS = INJECTION + OTHERS


def shown(text: str) -> str:
    """Text as HTML rendering shows it: whitespace runs collapse, the ends are trimmed."""
    return re.sub(r"\s+", " ", text).strip()


def accepted(response: Any) -> bool:
    assert response.status_code < 500, response.status_code
    return response.status_code < 400


def page_text(journey: Any, path: str) -> str:
    journey.page.goto(journey.base_url + path)
    journey.page.wait_for_load_state("load")
    return shown(journey.page.locator("main").inner_text())


def missing(texts: list[str], page: str) -> list[str]:
    return [text for text in texts if shown(text) not in page]


def test_naughty_strings_render_as_text_and_run_nothing(app, journey):
    admin = UserFactory(roles=[Role.ADMIN])
    api = ApiClient(app.test_client())
    api.login(admin.email)
    project = ProjectFactory()
    idea = IdeaFactory(project=project)

    comments = [s for s in STRINGS if accepted(api.post(f"/ideas/{idea.id}/comments", {"body": s}))]

    names = []
    for number, text in enumerate(STRINGS[::12]):
        email = f"name{number}@example.ru"
        body = {
            "email": email,
            "password": DEFAULT_PASSWORD,
            "display_name": text,
            "district": "khamovniki",
        }
        response = api.client.post("/api/v1/auth/register", json=body)
        if accepted(response):
            names.append(response.json["display_name"])
            db.session.get(User, response.json["id"]).verified_at = utcnow()  # skip the code
            db.session.commit()
            author = ApiClient(api.client)
            author.login(email)
            comment = {"body": "Согласен с предложением."}
            assert author.post(f"/ideas/{idea.id}/comments", comment).status_code == 201

    ideas = []
    for text in STRINGS[::8]:
        body = {"title": text, "body": text, "section": project.sections[0].id}
        response = api.post(f"/projects/{project.id}/ideas", body)
        if accepted(response):
            ideas.append((response.json["id"], response.json["title"], response.json["body"]))

    questions = [
        {
            "text": f"Вопрос {n + 1}?",
            "kind": "single",
            "options": [{"text": s} for s in STRINGS[n * 40 : (n + 1) * 40]] + [{"text": "Нет"}],
        }
        for n in range(len(STRINGS) // 40 + 1)
    ]
    options = []
    for question in questions:  # one poll per question: one refused option refuses its poll
        body = {"title": "Опрос", "questions": [question], "results": "live"}
        response = api.post("/polls", body)
        if accepted(response):
            api.patch(f"/polls/{response.json['id']}", {"status": "open"})
            options.append((response.json["id"], [o["text"] for o in question["options"]]))

    queue_project = ProjectFactory(moderation=ModerationMode.PRE)
    pending = []
    for text in STRINGS[3::10]:
        body = {"title": text, "body": text, "section": queue_project.sections[0].id}
        if accepted(api.post(f"/projects/{queue_project.id}/ideas", body)):
            pending.append(text)

    assert len(comments) > len(INJECTION) // 2
    assert ideas
    assert options
    assert names
    assert pending

    journey.sign_in(admin.email)  # the poll page shows its options to signed-in people
    page = page_text(journey, f"/ideas/{idea.id}")
    assert not missing(comments + names, page)
    for number, (idea_id, title, body) in enumerate(ideas):
        if number % 4 == 0:  # every idea is in the list; a quarter get their own page too
            assert not missing([title, body], page_text(journey, f"/ideas/{idea_id}"))
    listed = " ".join(page_text(journey, f"/projects/{project.id}/ideas?page={n}") for n in (1, 2))
    assert not missing([title for _id, title, _body in ideas], listed)
    for poll_id, texts in options:
        assert not missing(texts, page_text(journey, f"/polls/{poll_id}"))
        assert not missing(texts, page_text(journey, f"/polls/{poll_id}/results"))
    pages = " ".join(page_text(journey, f"/moderation?page={n}") for n in (1, 2, 3))
    assert not missing(pending, pages)
    journey.finish()
