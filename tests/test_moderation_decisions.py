"""Moderators decide on the queue: approve, reject with a reason, hide, restore, merge."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import Channel, Notification
from ideas.models import (
    Comment,
    CommentStatus,
    Flag,
    FlagTarget,
    Idea,
    IdeaStatus,
    ModerationMode,
    Support,
)
from moderation.models import Decision, StoredFinding
from tests.factories import CommentFactory, IdeaFactory, ProjectFactory, UserFactory
from tests.support import ApiClient


@pytest.fixture
def moderator():
    return UserFactory(roles=("moderator",))


def inbox(user) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notification.body).where(
                Notification.user_id == user.id, Notification.channel == Channel.SITE
            )
        )
    )


def decide(api, **body):
    return api.post("/moderation/decisions", body)


def test_pre_moderated_idea_waits_in_queue_and_approval_publishes_it(api, moderator):
    project = ProjectFactory(moderation=ModerationMode.PRE)
    idea = IdeaFactory(project=project, status=IdeaStatus.PENDING, published_at=None)
    api.login(moderator.email)
    queue = api.get("/moderation/queue").json
    assert [(i["target_type"], i["target_id"], i["why"]) for i in queue["items"]] == [
        ("idea", idea.id, ["pending"])
    ]
    response = decide(api, target_type="idea", target_id=idea.id, action="approve")
    assert response.status_code == 201
    assert response.json["before"]["status"] == "pending"
    assert response.json["after"]["status"] == "published"
    assert api.get("/moderation/queue").json["total"] == 0
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status is IdeaStatus.PUBLISHED


def test_reject_needs_a_known_reason_and_the_author_is_told_why(api, moderator):
    idea = IdeaFactory(status=IdeaStatus.PENDING)
    api.login(moderator.email)
    assert decide(api, target_type="idea", target_id=idea.id, action="reject").status_code == 422
    response = decide(api, target_type="idea", target_id=idea.id, action="reject", reason="nope")
    assert response.status_code == 422
    assert "reason" in response.json["errors"]
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status is IdeaStatus.PENDING
    response = decide(
        api,
        target_type="idea",
        target_id=idea.id,
        action="reject",
        reason="off_topic",
        note="Идея про транспорт, а проект про МФЦ",
    )
    assert response.status_code == 201
    assert response.json["reason"] == "off_topic"
    assert any("Не по теме проекта" in body and "транспорт" in body for body in inbox(idea.author))


def test_decision_on_an_item_that_changed_since_it_was_seen_is_409(api, moderator):
    idea = IdeaFactory(status=IdeaStatus.PENDING)
    api.login(moderator.email)
    decide(api, target_type="idea", target_id=idea.id, action="approve", expected_status="pending")
    response = decide(
        api,
        target_type="idea",
        target_id=idea.id,
        action="reject",
        reason="advertising",
        expected_status="pending",
    )
    assert response.status_code == 409
    assert response.json["current"]["status"] == "published"


def test_second_decision_on_a_decided_item_is_409_with_current_state(api, moderator):
    idea = IdeaFactory(status=IdeaStatus.PENDING)
    api.login(moderator.email)
    decide(api, target_type="idea", target_id=idea.id, action="approve")
    response = decide(api, target_type="idea", target_id=idea.id, action="approve")
    assert response.status_code == 409
    assert response.json["current"]["status"] == "published"
    assert db.session.scalar(select(db.func.count()).select_from(Decision)) == 1


def test_concurrent_decisions_on_one_item_exactly_one_wins(app, moderator):
    other = UserFactory(roles=("moderator",))
    idea = IdeaFactory(status=IdeaStatus.PENDING)
    clients = [ApiClient(app.test_client()), ApiClient(app.test_client())]
    clients[0].login(moderator.email)
    clients[1].login(other.email)
    statuses: list[int] = []
    barrier = threading.Barrier(2)
    idea_id = idea.id  # read here: the threads have no app context to load it in

    def act(client: ApiClient, action: str, reason: str | None) -> None:
        barrier.wait()
        body = {
            "target_type": "idea",
            "target_id": idea_id,
            "action": action,
            "expected_status": "pending",
        }
        if reason:
            body["reason"] = reason
        statuses.append(client.post("/moderation/decisions", body).status_code)

    threads = [
        threading.Thread(target=act, args=(clients[0], "approve", None)),
        threading.Thread(target=act, args=(clients[1], "reject", "advertising")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(Decision)) == 1
    status = db.session.get(Idea, idea.id).status
    assert status in (IdeaStatus.PUBLISHED, IdeaStatus.REJECTED)


def test_merge_moves_supports_without_double_counting_and_tells_everyone(api, moderator):
    project = ProjectFactory()
    target = IdeaFactory(project=project)
    source = IdeaFactory(project=project)
    both, only_source, only_target = UserFactory(), UserFactory(), UserFactory()
    for user, idea in [
        (both, source),
        (both, target),
        (only_source, source),
        (only_target, target),
    ]:
        db.session.add(Support(user_id=user.id, idea_id=idea.id))
    source.support_count, target.support_count = 2, 2
    db.session.commit()
    api.login(moderator.email)
    response = decide(
        api,
        target_type="idea",
        target_id=source.id,
        action="merge",
        merge_into=target.id,
        reason="duplicate",
    )
    assert response.status_code == 201
    assert response.json["merge_into"] == target.id
    db.session.expire_all()
    merged, kept = db.session.get(Idea, source.id), db.session.get(Idea, target.id)
    assert merged.status is IdeaStatus.MERGED
    assert merged.merged_into_id == target.id
    assert kept.support_count == 3
    supporters = set(
        db.session.scalars(select(Support.user_id).where(Support.idea_id == target.id))
    )
    assert supporters == {both.id, only_source.id, only_target.id}
    assert any("отзовите поддержку" in body for body in inbox(only_source))
    assert any("объединена" in body for body in inbox(source.author))
    assert any("объединена" in body for body in inbox(target.author))
    assert api.get(f"/ideas/{source.id}").json["merged_into"] == target.id


@pytest.mark.parametrize("case", ["itself", "merged", "other_project", "missing"])
def test_bad_merges_are_422(api, moderator, case):
    project = ProjectFactory()
    source = IdeaFactory(project=project)
    target = {
        "itself": lambda: source,
        "merged": lambda: IdeaFactory(project=project, status=IdeaStatus.MERGED),
        "other_project": lambda: IdeaFactory(),
        "missing": lambda: None,
    }[case]()
    api.login(moderator.email)
    response = decide(
        api,
        target_type="idea",
        target_id=source.id,
        action="merge",
        merge_into=target.id if target else 999999,
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Idea, source.id).status is IdeaStatus.PUBLISHED


def test_flagged_comment_enters_queue_and_hiding_it_resolves_flags(api, moderator):
    comment = CommentFactory()
    flagger = UserFactory()
    db.session.add(
        Flag(
            target_type=FlagTarget.COMMENT,
            target_id=comment.id,
            user_id=flagger.id,
            reason="оскорбление",
        )
    )
    db.session.commit()
    api.login(moderator.email)
    queue = api.get("/moderation/queue", kind="comment").json
    assert queue["items"][0]["flags"] == [{"reason": "оскорбление", "count": 1}]
    assert queue["items"][0]["why"] == ["flagged"]
    assert api.get("/moderation/queue", kind="idea").json["total"] == 0
    response = decide(
        api, target_type="comment", target_id=comment.id, action="hide", reason="offensive"
    )
    assert response.status_code == 201
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status is CommentStatus.HIDDEN
    assert db.session.scalar(select(Flag.resolved_at)) is not None
    assert api.get("/moderation/queue").json["total"] == 0
    assert any("скрыт" in body for body in inbox(comment.author))
    restored = decide(api, target_type="comment", target_id=comment.id, action="restore")
    assert restored.status_code == 201
    merge = decide(api, target_type="comment", target_id=comment.id, action="merge", merge_into=1)
    assert merge.status_code == 422


def test_dismissing_flags_keeps_the_idea_published(api, moderator):
    idea = IdeaFactory()
    db.session.add(
        Flag(
            target_type=FlagTarget.IDEA, target_id=idea.id, user_id=UserFactory().id, reason="спам?"
        )
    )
    db.session.commit()
    api.login(moderator.email)
    assert decide(api, target_type="idea", target_id=idea.id, action="approve").status_code == 201
    assert decide(api, target_type="idea", target_id=idea.id, action="approve").status_code == 409
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status is IdeaStatus.PUBLISHED


def test_post_moderation_holds_items_with_findings_and_shows_them(api, moderator):
    project = ProjectFactory(moderation=ModerationMode.POST)
    author = UserFactory()
    api.login(author.email)
    clean = api.post(
        f"/projects/{project.id}/ideas",
        {
            "title": "Продлить часы работы центра",
            "body": "Пусть МФЦ работает до десяти вечера.",
            "section": project.sections[0].id,
        },
    ).json
    dirty = api.post(
        f"/projects/{project.id}/ideas",
        {
            "title": "Звоните мне по поводу очередей",
            "body": "Мой телефон +7 916 123-45-67, обсудим.",
            "section": project.sections[0].id,
        },
    ).json
    assert clean["status"] == "published"
    assert dirty["status"] == "pending"
    comment = api.post(
        f"/ideas/{clean['id']}/comments", {"body": "Да это полный пиздец, а не идея"}
    )
    assert comment.status_code == 201
    api.login(moderator.email)
    items = {
        (i["target_type"], i["target_id"]): i for i in api.get("/moderation/queue").json["items"]
    }
    assert {f["detail"] for f in items[("idea", dirty["id"])]["findings"]} == {"phone"}
    assert items[("comment", comment.json["id"])]["findings"][0]["kind"] == "profanity"
    assert "916" not in str(items[("idea", dirty["id"])]["findings"])


def test_likely_duplicate_is_found_when_written(api, moderator):
    project = ProjectFactory()
    original = IdeaFactory(
        project=project,
        title="Электронная очередь в МФЦ",
        body="Сделать электронную очередь с записью на время через интернет",
    )
    author = UserFactory()
    api.login(author.email)
    copy = api.post(
        f"/projects/{project.id}/ideas",
        {
            "title": "Электронные очереди в МФЦ",
            "body": "Сделайте электронную очередь и запись на время через интернет",
            "section": project.sections[0].id,
        },
    ).json
    db.session.expire_all()
    found = db.session.scalars(
        select(StoredFinding).where(StoredFinding.target_id == copy["id"])
    ).all()
    assert [(f.kind, f.ref_id) for f in found] == [("duplicate", original.id)]
    assert copy["status"] == "pending"


def test_resident_cannot_see_the_queue_or_decide(api):
    idea = IdeaFactory(status=IdeaStatus.PENDING)
    api.login(UserFactory().email)
    assert api.get("/moderation/queue").status_code == 403
    assert decide(api, target_type="idea", target_id=idea.id, action="approve").status_code == 403


def test_workload_reports_waiting_items_and_median_time(api, moderator):
    IdeaFactory(status=IdeaStatus.PENDING)
    decided = IdeaFactory(status=IdeaStatus.PENDING)
    api.login(moderator.email)
    decide(api, target_type="idea", target_id=decided.id, action="approve")
    body = api.get("/moderation/workload").json
    assert body["waiting"]["ideas"] == 1
    assert body["decisions_today"] == 1
    assert body["median_seconds_to_decision"] >= 0


def _own_items(moderator):
    """What a moderator wrote: a pending idea, a published one with an idea of someone else
    merged into it, and a pending comment; plus someone else's idea of the same project."""
    project = ProjectFactory(moderation=ModerationMode.PRE)
    pending = IdeaFactory(
        project=project, author=moderator, status=IdeaStatus.PENDING, published_at=None
    )
    published = IdeaFactory(project=project, author=moderator)
    other = IdeaFactory(project=project)
    merged_in = IdeaFactory(
        project=project, status=IdeaStatus.MERGED, merged_into_id=other.id, author=moderator
    )
    comment = CommentFactory(author=moderator, status=CommentStatus.PENDING)
    db.session.commit()
    return pending, published, other, merged_in, comment


@pytest.mark.parametrize(
    ("target", "body"),
    [
        ("pending", {"action": "approve"}),
        ("pending", {"action": "reject", "reason": "off_topic"}),
        ("pending", {"action": "hide"}),
        ("published", {"action": "hide"}),
        ("pending", {"action": "merge", "merge_into": "other"}),
        ("other", {"action": "hide"}),  # an idea the moderator's own was merged into
        ("other", {"action": "merge", "merge_into": "published"}),  # merging into their own
        ("comment", {"action": "approve"}),
    ],
)
def test_a_moderator_never_decides_on_what_they_wrote(api, moderator, target, body):
    pending, published, other, _merged_in, comment = _own_items(moderator)
    rows = {"pending": pending, "published": published, "other": other, "comment": comment}
    item = rows[target]
    if "merge_into" in body:
        body = {**body, "merge_into": rows[body["merge_into"]].id}
    kind = "comment" if target == "comment" else "idea"
    before = item.status
    api.login(moderator.email)
    response = decide(api, target_type=kind, target_id=item.id, **body)
    assert response.status_code == 403
    assert response.json["reason"] == "conflict_of_interest"
    assert "конфликт интересов" in response.json["detail"]
    db.session.expire_all()
    assert db.session.get(type(item), item.id).status is before
    assert db.session.scalars(select(Decision)).all() == []
    api.login(UserFactory(roles=("moderator",)).email)
    assert decide(api, target_type=kind, target_id=item.id, **body).status_code == 201


def test_the_queue_page_refuses_a_decision_on_the_moderators_own_idea(pages, moderator):
    pending, *_rest = _own_items(moderator)
    pages.login(moderator.email)
    queue = pages.get("/moderation").get_data(as_text=True)
    assert "Это ваш материал" in queue
    response = pages.submit(
        f"/moderation/decide/idea/{pending.id}",
        {f"idea-{pending.id}-approve": "1", f"idea-{pending.id}-expected_status": "pending"},
        form_page="/moderation",
    )
    assert response.status_code == 403
    assert "конфликт интересов" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Idea, pending.id).status is IdeaStatus.PENDING
