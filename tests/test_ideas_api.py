"""Ideas over the API: submitting by stage and moderation mode, editing, lists, import."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.points.services import get_balance
from ideas import services
from ideas.models import Idea, IdeaStatus, IdeaStatusChange, ModerationMode, ProjectStage
from tests.factories import IdeaFactory, ProjectFactory, UserFactory

IDEA = {
    "title": "Электронная очередь с напоминанием",
    "body": "Пусть центр присылает СМС, когда до моего талона остаётся пять человек.",
}


def submit(api, project, **changes):
    return api.post(
        f"/projects/{project.id}/ideas", {**IDEA, "section": project.sections[0].id, **changes}
    )


@pytest.fixture
def resident(api):
    user = UserFactory(email="ivan@example.ru")
    api.login("ivan@example.ru")
    return user


def test_post_moderated_ideas_are_published_at_once_with_points(api, resident):
    project = ProjectFactory(moderation=ModerationMode.POST)
    response = submit(api, project)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "published"
    assert body["title"] == IDEA["title"]
    assert body["body"] == IDEA["body"]
    assert body["author"] == {"id": resident.id, "display_name": resident.display_name}
    assert body["section"]["id"] == project.sections[0].id
    assert body["support_count"] == 0
    assert body["comment_count"] == 0
    assert body["merged_into"] is None
    assert body["published_at"]
    assert [h["to_status"] for h in body["history"]] == ["published"]
    assert get_balance(resident.id) == services.PUBLISH_POINTS
    idea = db.session.get(Idea, body["id"])
    assert "очередь" in idea.normalized_text.split()


def test_pre_moderated_ideas_wait_and_points_come_on_publication(api, resident):
    project = ProjectFactory(moderation=ModerationMode.PRE)
    body = submit(api, project).json
    assert body["status"] == "pending"
    assert body["published_at"] is None
    assert get_balance(resident.id) == 0
    api.logout()
    assert api.get(f"/ideas/{body['id']}").status_code == 404  # not public yet
    assert api.get(f"/projects/{project.id}/ideas").json["total"] == 0

    moderator = UserFactory(roles=[Role.MODERATOR])
    idea = db.session.get(Idea, body["id"])
    services.change_idea_status(idea, IdeaStatus.PUBLISHED, moderator, "Всё в порядке")
    services.change_idea_status(idea, IdeaStatus.HIDDEN, moderator, "Проверка")
    services.change_idea_status(idea, IdeaStatus.PUBLISHED, moderator)
    db.session.commit()
    assert get_balance(resident.id) == services.PUBLISH_POINTS  # once only
    history = db.session.scalars(
        select(IdeaStatusChange).where(IdeaStatusChange.idea_id == idea.id)
    ).all()
    assert [(h.from_status, h.to_status) for h in history] == [
        (None, IdeaStatus.PENDING),
        (IdeaStatus.PENDING, IdeaStatus.PUBLISHED),
        (IdeaStatus.PUBLISHED, IdeaStatus.HIDDEN),
        (IdeaStatus.HIDDEN, IdeaStatus.PUBLISHED),
    ]
    assert history[1].actor_id == moderator.id
    assert history[1].note == "Всё в порядке"
    assert api.get(f"/ideas/{idea.id}").json["status"] == "published"


@pytest.mark.parametrize(
    "stage",
    [ProjectStage.RATING, ProjectStage.EXPERT_REVIEW, ProjectStage.RESULTS, ProjectStage.CLOSED],
)
def test_ideas_are_accepted_only_in_the_ideas_stage(api, resident, stage):
    project = ProjectFactory(stage=stage)
    response = submit(api, project)
    assert response.status_code == 409
    assert response.json["type"].endswith("wrong_stage")
    assert "Сбор идей" in response.json["detail"]
    assert db.session.query(Idea).count() == 0


def test_draft_projects_take_no_ideas(api, resident):
    project = ProjectFactory(stage=ProjectStage.DRAFT)
    assert submit(api, project).status_code == 404


def test_unverified_and_anonymous_cannot_submit(api):
    project = ProjectFactory()
    assert submit(api, project).status_code == 401
    UserFactory(email="new@example.ru", verified=False)
    api.login("new@example.ru")
    response = submit(api, project)
    assert response.status_code == 403
    assert response.json["reason"] == "not_verified"
    assert db.session.query(Idea).count() == 0


def test_authors_edit_only_while_pending(api, resident):
    project = ProjectFactory(moderation=ModerationMode.PRE)
    idea_id = submit(api, project).json["id"]
    second = project.sections[1].id
    response = api.patch(
        f"/ideas/{idea_id}", {"title": "Электронная очередь и СМС", "section": second}
    )
    assert response.status_code == 200, response.json
    assert response.json["title"] == "Электронная очередь и СМС"
    assert response.json["section"]["id"] == second
    assert "смс" in db.session.get(Idea, idea_id).normalized_text

    UserFactory(email="other@example.ru")
    api.login("other@example.ru")
    assert api.patch(f"/ideas/{idea_id}", {"title": "Чужая правка идеи"}).status_code == 404

    idea = db.session.get(Idea, idea_id)
    services.change_idea_status(idea, IdeaStatus.PUBLISHED, None)
    db.session.commit()
    assert api.patch(f"/ideas/{idea_id}", {"title": "Чужая правка идеи"}).status_code == 403
    api.login("ivan@example.ru")
    response = api.patch(f"/ideas/{idea_id}", {"title": "Поздняя правка идеи"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Idea, idea_id).title == "Электронная очередь и СМС"


def test_delete_hides_for_author_or_moderator(api, resident):
    mine = IdeaFactory(author=resident)
    other = IdeaFactory(project=mine.project)
    assert api.delete(f"/ideas/{other.id}").status_code == 403
    assert api.delete(f"/ideas/{mine.id}").status_code == 204
    db.session.expire_all()
    assert db.session.get(Idea, mine.id).status is IdeaStatus.HIDDEN
    UserFactory(email="mod@example.ru", roles=[Role.MODERATOR])
    api.login("mod@example.ru")
    assert api.delete(f"/ideas/{other.id}").status_code == 204
    api.logout()
    assert api.get(f"/ideas/{other.id}").status_code == 404


def test_list_filters_sorts_and_pages(api):
    project = ProjectFactory()
    first, second = project.sections
    a = IdeaFactory(project=project, section=first, support_count=1, comment_count=9)
    b = IdeaFactory(project=project, section=second, support_count=5, comment_count=0)
    c = IdeaFactory(project=project, section=first, support_count=3, comment_count=2)
    IdeaFactory(project=project, status=IdeaStatus.PENDING, published_at=None)
    IdeaFactory(project=project, status=IdeaStatus.HIDDEN)
    selected = IdeaFactory(project=project, section=second, status=IdeaStatus.SELECTED)
    path = f"/projects/{project.id}/ideas"

    def ids(**params):
        response = api.get(path, **params)
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids() == [selected.id, c.id, b.id, a.id]
    assert ids(sort="top") == [b.id, c.id, a.id, selected.id]
    assert ids(sort="discussed") == [a.id, c.id, selected.id, b.id]  # ties: newest first
    assert ids(section=first.id) == [c.id, a.id]
    assert ids(status="selected") == [selected.id]
    page = api.get(path, per_page=2, page=2).json
    assert page["total"] == 4
    assert page["page"] == 2
    assert page["per_page"] == 2
    assert [i["id"] for i in page["items"]] == [b.id, a.id]
    assert api.get(path, status="pending").status_code == 403
    assert api.get(path, sort="random").status_code == 422
    assert api.get(path, per_page=101).status_code == 422
    UserFactory(email="mod@example.ru", roles=[Role.MODERATOR])
    api.login("mod@example.ru")
    assert len(ids(status="pending")) == 1


def test_merged_ideas_point_to_their_target(api):
    target = IdeaFactory()
    source = IdeaFactory(project=target.project)
    services.merge_idea(source, target, None, "Повтор")
    db.session.commit()
    body = api.get(f"/ideas/{source.id}").json
    assert body["status"] == "merged"
    assert body["merged_into"] == target.id


def test_staff_import_ideas_all_or_nothing(api):
    project = ProjectFactory()
    UserFactory(email="staff@example.ru", roles=[Role.STAFF])
    api.login("staff@example.ru")
    rows = [
        {
            "title": "Бумажная анкета: пандус",
            "body": "Нужен пандус у входа в центр на Тверской.",
            "section": "Доступная среда",
            "author_name": "Анна",
        },
        {
            "title": "Бумажная анкета: очередь",
            "body": "Очередь движется слишком медленно утром.",
            "section": project.sections[0].id,
        },
    ]
    bad = [*rows, {"title": "x", "body": "коротко", "section": "Нет такого"}]
    response = api.post(f"/projects/{project.id}/ideas/import", {"ideas": bad})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"ideas.2.title", "ideas.2.body"}
    assert db.session.query(Idea).count() == 0
    response = api.post(f"/projects/{project.id}/ideas/import", {"ideas": rows})
    assert response.status_code == 201, response.json
    assert response.json["imported"] == 2
    listed = api.get(f"/projects/{project.id}/ideas", sort="new").json["items"]
    assert {i["author"]["display_name"] for i in listed} == {"Анна", ""}
    api.login(UserFactory().email)
    assert api.post(f"/projects/{project.id}/ideas/import", {"ideas": rows}).status_code == 403


def test_import_command(app, tmp_path):
    project = ProjectFactory()
    path = tmp_path / "ideas.csv"
    path.write_text(
        "title,body,section,author\n"
        "Больше окон приёма,Утром работают только два окна из десяти.,Очереди и запись,Пётр\n"
        '"Пандус, а не ступени","У входа нет пандуса, коляску не завезти.",Доступная среда,\n',
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(
        args=["ideas", "import", str(path), "--project", str(project.id)]
    )
    assert result.exit_code == 0, result.output
    assert "Imported 2" in result.output
    titles = db.session.scalars(select(Idea.title).order_by(Idea.id)).all()
    assert titles == ["Больше окон приёма", "Пандус, а не ступени"]

    path.write_text("title,body\nA,B\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["ideas", "import", str(path), "--project", str(project.id)]
    )
    assert result.exit_code != 0
    assert "section" in result.output
