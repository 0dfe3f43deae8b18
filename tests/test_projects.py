"""Projects: staff create and run them; the stage decides what residents may do."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.extensions import db
from ideas.models import Project, ProjectStage
from tests.factories import CommentFactory, IdeaFactory, ProjectFactory, UserFactory

NEW_PROJECT = {
    "title": "Мой офис госуслуг. Создай центр будущего!",
    "description": "Каким должен быть центр госуслуг?",
    "sections": ["Очереди и запись", "Доступная среда", "Детские уголки"],
    "stage": "ideas",
    "moderation": "pre",
    "starts_at": "2026-12-01T00:00:00+03:00",
    "ends_at": "2027-01-15T23:59:59+03:00",
}


def test_staff_create_a_project_with_sections(api):
    UserFactory(email="staff@example.ru", roles=[Role.STAFF])
    api.login("staff@example.ru")
    response = api.post("/projects", NEW_PROJECT)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["title"] == NEW_PROJECT["title"]
    assert [s["title"] for s in body["sections"]] == NEW_PROJECT["sections"]
    assert all(isinstance(s["id"], int) for s in body["sections"])
    assert body["stage"] == "ideas"
    assert body["moderation"] == "pre"
    assert body["starts_at"].startswith("2026-11-30T21:00:00")
    assert body["counts"] == {"participants": 0, "ideas": 0, "comments": 0, "supports": 0}


@pytest.mark.parametrize("roles", [(), (Role.MODERATOR,), (Role.EXPERT,)])
def test_only_staff_create_projects(api, roles):
    UserFactory(email="someone@example.ru", roles=roles)
    api.login("someone@example.ru")
    assert api.post("/projects", NEW_PROJECT).status_code == 403
    api.logout()
    assert api.post("/projects", NEW_PROJECT).status_code == 401
    assert db.session.query(Project).count() == 0


def test_admins_pass_the_staff_check(api):
    UserFactory(email="admin@example.ru", roles=[Role.ADMIN])
    api.login("admin@example.ru")
    assert api.post("/projects", NEW_PROJECT).status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "   "}, "title"),
        ({"sections": ["Очереди", "очереди"]}, "sections"),
        ({"sections": [" "]}, "sections"),
        ({"ends_at": "2026-11-01T00:00:00+03:00"}, "ends_at"),
        ({"stage": "voting"}, "stage"),
        ({"moderation": "none"}, "moderation"),
        ({"starts_at": "2026-12-01T00:00:00"}, "starts_at"),
    ],
)
def test_bad_projects_are_refused_with_field_errors(api, change, field):
    UserFactory(email="staff@example.ru", roles=[Role.STAFF])
    api.login("staff@example.ru")
    response = api.post("/projects", {**NEW_PROJECT, **change})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    assert db.session.query(Project).count() == 0


def test_stage_moves_forward_only(api):
    UserFactory(email="staff@example.ru", roles=[Role.STAFF])
    project = ProjectFactory(stage=ProjectStage.IDEAS)
    api.login("staff@example.ru")
    assert api.patch(f"/projects/{project.id}", {"stage": "rating"}).json["stage"] == "rating"
    response = api.patch(f"/projects/{project.id}", {"stage": "ideas"})
    assert response.status_code == 409
    assert response.json["type"].endswith("wrong_stage")
    assert api.patch(f"/projects/{project.id}", {"stage": "closed"}).status_code == 200


def test_patch_refuses_nulls_but_clears_dates(api):
    UserFactory(email="staff@example.ru", roles=[Role.STAFF])
    project = ProjectFactory()
    api.login("staff@example.ru")
    response = api.patch(f"/projects/{project.id}", {"stage": None, "title": None})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"stage", "title"}
    response = api.patch(f"/projects/{project.id}", {"ends_at": None})
    assert response.status_code == 200
    assert response.json["ends_at"] is None


def test_sections_with_ideas_cannot_be_removed(api):
    UserFactory(email="staff@example.ru", roles=[Role.STAFF])
    idea = IdeaFactory()
    api.login("staff@example.ru")
    path = f"/projects/{idea.project_id}"
    response = api.patch(path, {"sections": ["Доступная среда"]})
    assert response.status_code == 422
    assert "sections" in response.json["errors"]
    response = api.patch(path, {"sections": ["Очереди и запись", "Парковка"]})
    assert response.status_code == 200
    assert [s["title"] for s in response.json["sections"]] == ["Очереди и запись", "Парковка"]
    assert response.json["sections"][0]["id"] == idea.section_id


def test_drafts_are_visible_to_staff_only(api):
    draft = ProjectFactory(stage=ProjectStage.DRAFT)
    open_project = ProjectFactory()
    assert api.get(f"/projects/{draft.id}").status_code == 404
    assert [p["id"] for p in api.get("/projects").json["items"]] == [open_project.id]
    UserFactory(email="staff@example.ru", roles=[Role.STAFF])
    api.login("staff@example.ru")
    assert api.get(f"/projects/{draft.id}").status_code == 200
    assert api.get("/projects").json["total"] == 2


def test_project_counts_participants_ideas_comments_supports(api):
    idea = IdeaFactory()
    IdeaFactory(project=idea.project, author=idea.author)
    commenter = UserFactory()
    CommentFactory(idea=idea, author=commenter)
    supporter = UserFactory(email="fan@example.ru")
    api.login("fan@example.ru")
    assert api.post(f"/ideas/{idea.id}/support").status_code == 201
    api.login(commenter.email)
    assert api.post(f"/ideas/{idea.id}/comments", {"body": "Хорошая мысль!"}).status_code == 201
    counts = api.get(f"/projects/{idea.project_id}").json["counts"]
    # Author, supporter and commenter; the factory comment is not counted on the idea.
    assert counts == {"participants": 3, "ideas": 2, "comments": 1, "supports": 1}
    assert supporter.id


def test_project_pages(pages):
    project = ProjectFactory()
    IdeaFactory(project=project, title="Электронная очередь в каждом центре")
    html = pages.get("/projects").get_data(as_text=True)
    assert project.title in html
    page = pages.get(f"/projects/{project.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "сбор идей" in html
    assert "Очереди и запись" in html
    assert "Электронная очередь в каждом центре" in html
    assert "Предложить идею" in html


def test_staff_create_and_advance_a_project_on_pages(pages):
    UserFactory(email="staff@example.ru", roles=[Role.STAFF])
    pages.login("staff@example.ru")
    data = {
        "title": "Центр госуслуг будущего",
        "description": "Описание",
        "sections": "Очереди\nПарковка\n",
        "stage": "draft",
        "moderation": "post",
        "starts_at": "2026-12-01",
        "ends_at": "",
    }
    response = pages.submit("/projects/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    project = db.session.query(Project).one()
    assert [s.title for s in project.sections] == ["Очереди", "Парковка"]
    edit = f"/projects/{project.id}/edit"
    assert pages.submit(edit, {**data, "stage": "ideas"}).status_code == 302
    response = pages.submit(edit, {**data, "stage": "draft"})
    assert response.status_code == 409
    assert "только двигаться вперёд" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Project, project.id).stage is ProjectStage.IDEAS


def test_residents_cannot_open_staff_pages(pages):
    project = ProjectFactory()
    UserFactory(email="ivan@example.ru")
    pages.login("ivan@example.ru")
    assert pages.get("/projects/new").status_code == 403
    assert pages.get(f"/projects/{project.id}/edit").status_code == 403
