"""Supports (one per person, removable), threaded comments, flags (one per person per item)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from ideas import services
from ideas.models import Comment, CommentStatus, Flag, Idea, IdeaStatus, ProjectStage, Support
from tests.factories import CommentFactory, IdeaFactory, UserFactory


@pytest.fixture
def idea(app):
    return IdeaFactory()


@pytest.fixture
def resident(api):
    user = UserFactory(email="ivan@example.ru")
    api.login("ivan@example.ru")
    return user


def count(model, **where):
    db.session.expire_all()
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


def test_support_once_then_withdraw(api, idea, resident):
    path = f"/ideas/{idea.id}/support"
    first = api.post(path)
    assert first.status_code == 201
    assert first.json == {"idea_id": idea.id, "supported": True, "support_count": 1}
    second = api.post(path)
    assert second.status_code == 409
    assert second.json["type"].endswith("already_supported")
    assert count(Support, idea_id=idea.id) == 1
    assert api.get(f"/ideas/{idea.id}").json["supported_by_me"] is True
    withdrawn = api.delete(path)
    assert withdrawn.status_code == 200
    assert withdrawn.json["support_count"] == 0
    assert api.delete(path).status_code == 404
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).support_count == 0
    assert api.post(path).status_code == 201


def test_support_needs_a_verified_resident(api, idea):
    assert api.post(f"/ideas/{idea.id}/support").status_code == 401
    UserFactory(email="new@example.ru", verified=False)
    api.login("new@example.ru")
    assert api.post(f"/ideas/{idea.id}/support").status_code == 403
    assert count(Support) == 0


@pytest.mark.parametrize(
    ("stage", "allowed"),
    [
        (ProjectStage.IDEAS, True),
        (ProjectStage.RATING, True),
        (ProjectStage.EXPERT_REVIEW, False),
        (ProjectStage.RESULTS, False),
        (ProjectStage.CLOSED, False),
    ],
)
def test_supports_and_comments_follow_the_stage(api, idea, resident, stage, allowed):
    idea.project.stage = stage
    db.session.commit()
    support = api.post(f"/ideas/{idea.id}/support")
    comment = api.post(f"/ideas/{idea.id}/comments", {"body": "Поддерживаю полностью"})
    assert support.status_code == (201 if allowed else 409)
    assert comment.status_code == (201 if allowed else 409)
    # Reports stay open in every stage: moderators must hear about abuse.
    assert api.post(f"/ideas/{idea.id}/flags", {"reason": "Спам"}).status_code == 201


def test_pending_and_hidden_ideas_take_no_supports(api, resident):
    pending = IdeaFactory(author=resident, status=IdeaStatus.PENDING, published_at=None)
    assert api.post(f"/ideas/{pending.id}/support").status_code == 409
    hidden = IdeaFactory(status=IdeaStatus.HIDDEN)
    assert api.post(f"/ideas/{hidden.id}/support").status_code == 404


def test_threaded_comments_keep_the_count(api, idea, resident):
    path = f"/ideas/{idea.id}/comments"
    top = api.post(path, {"body": "А как быть тем, у кого нет смартфона?"})
    assert top.status_code == 201
    assert top.json["parent_id"] is None
    reply = api.post(
        path, {"body": "Можно распечатать талон у входа.", "parent_id": top.json["id"]}
    )
    assert reply.status_code == 201
    assert reply.json["parent_id"] == top.json["id"]
    listed = api.get(path).json
    assert listed["total"] == 2
    assert [c["parent_id"] for c in listed["items"]] == [None, top.json["id"]]
    assert api.get(f"/ideas/{idea.id}").json["comment_count"] == 2

    other = CommentFactory()  # a comment of another idea
    response = api.post(path, {"body": "Ответ не туда", "parent_id": other.id})
    assert response.status_code == 422
    assert "parent_id" in response.json["errors"]
    assert count(Comment, idea_id=idea.id) == 2


def test_hidden_comments_keep_their_place_but_not_their_text(api, idea, resident):
    body = api.post(f"/ideas/{idea.id}/comments", {"body": "Грубость какая-то"}).json
    comment = db.session.get(Comment, body["id"])
    services.set_comment_status(comment, CommentStatus.HIDDEN)
    db.session.commit()
    db.session.expire_all()
    item = api.get(f"/ideas/{idea.id}/comments").json["items"][0]
    assert item["status"] == "hidden"
    assert item["body"] is None
    assert db.session.get(Idea, idea.id).comment_count == 0


def test_flags_once_per_person_per_item(api, idea, resident):
    comment = CommentFactory(idea=idea)
    assert api.post(f"/ideas/{idea.id}/flags", {"reason": "Реклама"}).status_code == 201
    again = api.post(f"/ideas/{idea.id}/flags", {"reason": "Реклама снова"})
    assert again.status_code == 409
    assert again.json["type"].endswith("already_flagged")
    # The same person may still report a comment with the same id number, and others may too.
    assert api.post(f"/comments/{comment.id}/flags", {"reason": "Оскорбление"}).status_code == 201
    assert api.post(f"/comments/{comment.id}/flags", {"reason": "Ещё раз"}).status_code == 409
    UserFactory(email="petr@example.ru", verified=False)  # signed in is enough for flags
    api.login("petr@example.ru")
    assert api.post(f"/ideas/{idea.id}/flags", {"reason": "Реклама"}).status_code == 201
    assert count(Flag) == 3
    assert [f.target_type.value for f in services.list_open_flags()] == ["idea", "comment", "idea"]


def test_flags_need_sign_in_and_a_reason(api, idea):
    assert api.post(f"/ideas/{idea.id}/flags", {"reason": "Спам"}).status_code == 401
    UserFactory(email="ivan@example.ru")
    api.login("ivan@example.ru")
    response = api.post(f"/ideas/{idea.id}/flags", {"reason": "  "})
    assert response.status_code == 422
    assert "reason" in response.json["errors"]
    assert api.post("/comments/999999/flags", {"reason": "Спам"}).status_code == 404
    assert count(Flag) == 0


def test_merge_moves_supports_once_per_person(idea):
    target = IdeaFactory(project=idea.project)
    both, only_source, only_target = UserFactory(), UserFactory(), UserFactory()
    for user in (both, only_source):
        services.support_idea(user, idea)
    for user in (both, only_target):
        services.support_idea(user, target)
    moderator = UserFactory(roles=[Role.MODERATOR])
    services.merge_idea(idea, target, moderator, "Дубликат")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Idea, target.id).support_count == 3
    source = db.session.get(Idea, idea.id)
    assert source.support_count == 0
    assert source.status is IdeaStatus.MERGED
    assert source.merged_into_id == target.id
    supporters = db.session.scalars(
        select(Support.user_id).where(Support.idea_id == target.id)
    ).all()
    assert sorted(supporters) == sorted([both.id, only_source.id, only_target.id])


def test_support_comment_and_flag_on_pages(pages, idea):
    UserFactory(email="ivan@example.ru")
    pages.login("ivan@example.ru")
    path = f"/ideas/{idea.id}"
    assert pages.submit(f"{path}/support", {}, form_page=path).status_code == 302
    html = pages.get(path).get_data(as_text=True)
    assert "Отозвать поддержку" in html
    assert '<span id="support-count">1</span>' in html
    response = pages.submit(f"{path}/support", {"action": "withdraw"}, form_page=path, follow=True)
    assert "Вы отозвали поддержку." in response.get_data(as_text=True)
    response = pages.submit(
        f"{path}/comments",
        {"body": "Отличная идея, <b>поддерживаю</b>!"},
        form_page=path,
        follow=True,
    )
    html = response.get_data(as_text=True)
    assert "Отличная идея, &lt;b&gt;поддерживаю&lt;/b&gt;!" in html
    top = db.session.scalars(select(Comment)).one()
    response = pages.submit(
        f"{path}/comments",
        {"body": "Ответ на комментарий", "parent_id": str(top.id)},
        form_page=path,
        follow=True,
    )
    assert "Ответ на комментарий" in response.get_data(as_text=True)
    response = pages.submit(f"{path}/comments", {"body": " "}, form_page=path)
    assert response.status_code == 422
    assert "Поле не может быть пустым." in response.get_data(as_text=True)
    assert pages.submit(f"{path}/flag", {"reason": "Спам"}, form_page=path).status_code == 302
    response = pages.submit(f"{path}/flag", {"reason": "Спам"}, form_page=path)
    assert response.status_code == 409
    assert "Вы уже пожаловались на это." in response.get_data(as_text=True)
    response = pages.submit(f"/comments/{top.id}/flag", {"reason": "Флуд"}, form_page=path)
    assert response.status_code == 302
    assert count(Flag) == 2
