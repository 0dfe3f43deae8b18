"""Editing a pending idea runs the automatic checks again, on pages and API alike.

Findings describe the text as it is now: an idea that was clean and is edited to hold a
phone number or an obscenity gets those findings, and findings its new text no longer
earns are gone.
"""

from __future__ import annotations

import pytest

from app.auth.models import Role
from ideas.models import IdeaStatus, ModerationMode
from tests.factories import IdeaFactory, ProjectFactory, UserFactory
from tests.support import ApiClient

CLEAN_TITLE = "Электронная очередь в центре"
CLEAN_BODY = "Сделать запись на приём через сайт, чтобы не стоять в очереди у входа."
PHONE_BODY = "Сделать запись на приём по телефону +7 (916) 123-45-67, без очереди у входа."
OBSCENE_TITLE = "Очереди — пиздец полный"


@pytest.fixture
def idea(app):
    """A clean pending idea under pre-moderation, by ivan@example.ru."""
    project = ProjectFactory(moderation=ModerationMode.PRE)
    author = UserFactory(email="ivan@example.ru")
    return IdeaFactory(
        project=project,
        author=author,
        title=CLEAN_TITLE,
        body=CLEAN_BODY,
        status=IdeaStatus.PENDING,
        published_at=None,
    )


@pytest.fixture
def moderator(app) -> ApiClient:
    """A moderator's API client, to read the queue."""
    UserFactory(email="moderator@example.ru", roles=[Role.MODERATOR])
    client = ApiClient(app.test_client())
    client.login("moderator@example.ru")
    return client


def _findings(moderator: ApiClient, idea_id: int) -> set[tuple[str, str]]:
    """What the moderation queue shows for the idea, as (kind, detail) pairs."""
    queue = moderator.get("/moderation/queue", kind="idea").json["items"]
    item = next(i for i in queue if i["target_id"] == idea_id)
    return {(f["kind"], f["detail"]) for f in item["findings"]}


def _kinds(findings: set[tuple[str, str]]) -> set[str]:
    return {kind for kind, _detail in findings}


def test_editing_over_the_api_finds_new_problems_and_drops_stale_ones(api, moderator, idea):
    assert _findings(moderator, idea.id) == set()
    api.login("ivan@example.ru")
    response = api.patch(f"/ideas/{idea.id}", {"title": OBSCENE_TITLE, "body": PHONE_BODY})
    assert response.status_code == 200, response.json
    assert {("personal_data", "phone"), ("profanity", "пизд")} <= _findings(moderator, idea.id)

    response = api.patch(f"/ideas/{idea.id}", {"title": CLEAN_TITLE})
    assert response.status_code == 200
    assert _findings(moderator, idea.id) == {("personal_data", "phone")}

    assert api.patch(f"/ideas/{idea.id}", {"body": CLEAN_BODY}).status_code == 200
    assert _findings(moderator, idea.id) == set()
    assert response.json["status"] == "pending"


def test_editing_on_the_page_finds_new_problems_and_drops_stale_ones(pages, moderator, idea):
    pages.login("ivan@example.ru")
    section = str(idea.section_id)

    def edit(title: str, body: str) -> None:
        response = pages.submit(
            f"/ideas/{idea.id}/edit", {"title": title, "body": body, "section": section}
        )
        assert response.status_code == 302

    edit(CLEAN_TITLE, PHONE_BODY)
    assert _findings(moderator, idea.id) == {("personal_data", "phone")}
    edit(OBSCENE_TITLE, CLEAN_BODY)
    assert _kinds(_findings(moderator, idea.id)) == {"profanity"}
    edit(CLEAN_TITLE, CLEAN_BODY)
    assert _findings(moderator, idea.id) == set()


def test_an_edit_that_leaves_the_text_keeps_its_findings(api, moderator, idea):
    api.login("ivan@example.ru")
    api.patch(f"/ideas/{idea.id}", {"body": PHONE_BODY})
    other_section = idea.project.sections[1].id
    assert api.patch(f"/ideas/{idea.id}", {"section": other_section}).status_code == 200
    assert _findings(moderator, idea.id) == {("personal_data", "phone")}
