"""A merge keeps what its notice promises: the surviving idea names the merged ideas and
their authors as co-authors, on its page and in the API, and a supporter whose support was
moved may withdraw it until the idea is selected, whatever the project's stage."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import Channel, Notification
from ideas.models import Idea, ProjectStage, Support
from tests.factories import IdeaFactory, ProjectFactory, UserFactory

WITHDRAW_PROMISE = "отзовите поддержку"


@pytest.fixture
def moderator():
    return UserFactory(roles=("moderator",))


def merge(api, moderator, source, target) -> None:
    api.login(moderator.email)
    body = {"target_type": "idea", "target_id": source.id, "action": "merge"}
    response = api.post("/moderation/decisions", {**body, "merge_into": target.id})
    assert response.status_code == 201, response.json
    api.logout()


def support(*ideas) -> object:
    user = UserFactory()
    db.session.add_all(Support(idea_id=idea.id, user_id=user.id) for idea in ideas)
    for idea in ideas:
        idea.support_count += 1
    db.session.commit()
    return user


def inbox(user) -> str:
    db.session.expire_all()
    return "\n".join(
        db.session.scalars(
            select(Notification.body).where(
                Notification.user_id == user.id, Notification.channel == Channel.SITE
            )
        )
    )


def test_surviving_idea_lists_merged_ideas_and_their_authors_on_page_and_api(
    api, client, moderator
):
    target = IdeaFactory(title="Электронная очередь в центрах госуслуг")
    duplicate = IdeaFactory(project=target.project, title="Очередь по записи через интернет")
    earlier = IdeaFactory(project=target.project, title="Запись в центр через приложение")
    same_author = IdeaFactory(
        project=target.project, author=target.author, title="Ещё раз про очередь онлайн"
    )
    imported = IdeaFactory(
        project=target.project, author=None, author_name="Житель с бумажной анкеты"
    )
    merge(api, moderator, earlier, duplicate)  # merged into the duplicate, then with it
    for source in (duplicate, same_author, imported):
        merge(api, moderator, source, target)

    body = api.get(f"/ideas/{target.id}").json
    merged = [duplicate, earlier, same_author, imported]
    assert body["merged_ideas"] == [
        {"id": i.id, "title": i.title} for i in sorted(merged, key=lambda i: i.id)
    ]
    assert body["coauthors"] == [
        {"id": duplicate.author.id, "display_name": duplicate.author.display_name},
        {"id": earlier.author.id, "display_name": earlier.author.display_name},
        {"id": None, "display_name": "Житель с бумажной анкеты"},
    ]
    page = client.get(f"/ideas/{target.id}").get_data(as_text=True)
    for idea in merged:
        assert f'href="/ideas/{idea.id}"' in page
        assert idea.title in page
    coauthors = page.split('id="idea-coauthors"')[1].split("</p>")[0]
    for name in (duplicate.author.display_name, earlier.author.display_name, imported.author_name):
        assert name in coauthors
    assert target.author.display_name not in coauthors
    assert api.get(f"/ideas/{duplicate.id}").json["merged_ideas"] == [
        {"id": earlier.id, "title": earlier.title}
    ]


def test_a_support_moved_by_a_merge_may_be_withdrawn_until_selection_in_any_stage(
    api, pages, moderator
):
    project = ProjectFactory(stage=ProjectStage.RATING)
    target = IdeaFactory(project=project)
    source = IdeaFactory(project=project)
    moved_api, moved_page, moved_late = support(source), support(source), support(source)
    both = support(source, target)  # keeps their own support of the target
    own = support(target)
    merge(api, moderator, source, target)
    assert WITHDRAW_PROMISE in inbox(moved_api)
    assert WITHDRAW_PROMISE not in inbox(both)
    project.stage = ProjectStage.EXPERT_REVIEW
    db.session.commit()

    for refused in (both, own):  # supports nobody moved follow the stage rule
        api.login(refused.email)
        response = api.delete(f"/ideas/{target.id}/support")
        assert response.status_code == 409
        assert response.json["type"].endswith("wrong_stage")
    api.login(moved_api.email)
    withdrawn = api.delete(f"/ideas/{target.id}/support")
    assert withdrawn.status_code == 200
    assert withdrawn.json["support_count"] == 4

    pages.login(own.email)
    assert "Отозвать поддержку" not in pages.get(f"/ideas/{target.id}").get_data(as_text=True)
    pages.login(moved_page.email)
    page = pages.get(f"/ideas/{target.id}").get_data(as_text=True)
    assert "Отозвать поддержку" in page
    assert "её можно отозвать, пока идею не отобрали" in page
    response = pages.submit(
        f"/ideas/{target.id}/support", {"action": "withdraw"}, form_page=f"/ideas/{target.id}"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, target.id).support_count == 3

    api.login(UserFactory(roles=("staff",)).email)
    selected = api.post(f"/projects/{project.id}/selection", {"idea_ids": [target.id]})
    assert selected.status_code == 200
    api.login(moved_late.email)
    assert api.delete(f"/ideas/{target.id}/support").status_code == 409
    pages.login(moved_late.email)
    assert "Отозвать поддержку" not in pages.get(f"/ideas/{target.id}").get_data(as_text=True)
    db.session.expire_all()
    supporters = set(
        db.session.scalars(select(Support.user_id).where(Support.idea_id == target.id))
    )
    assert supporters == {moved_late.id, both.id, own.id}


def test_supporters_of_a_merge_into_a_selected_idea_are_not_promised_a_withdrawal(api, moderator):
    project = ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)
    target = IdeaFactory(project=project, status="selected")
    source = IdeaFactory(project=project)
    supporter = support(source)
    merge(api, moderator, source, target)
    assert "поддержка учтена" in inbox(supporter)
    assert WITHDRAW_PROMISE not in inbox(supporter)
    api.login(supporter.email)
    assert api.delete(f"/ideas/{target.id}/support").status_code == 409
