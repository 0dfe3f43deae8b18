"""Moderators block and unblock accounts; every decision lands in the append-only log."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from moderation.models import Decision
from tests.factories import UserFactory


@pytest.fixture
def moderator():
    return UserFactory(roles=("moderator",))


def test_reasons_list_platform_defaults(api, moderator):
    api.login(moderator.email)
    codes = [item["code"] for item in api.get("/moderation/reasons").json["items"]]
    assert {"off_topic", "offensive", "personal_data", "advertising", "duplicate"} <= set(codes)


def test_resident_cannot_call_moderation_endpoints(api):
    resident = UserFactory()
    target = UserFactory()
    api.login(resident.email)
    assert api.get("/moderation/reasons").status_code == 403
    assert api.get("/moderation/log").status_code == 403
    assert api.post(f"/users/{target.id}/block", {}).status_code == 403
    assert api.get("/moderation/workload").status_code == 403


def test_anonymous_gets_401(api):
    assert api.get("/moderation/log").status_code == 401


def test_block_then_unblock_is_logged_with_state_and_notified(api, moderator):
    target = UserFactory()
    api.login(moderator.email)
    response = api.post(
        f"/users/{target.id}/block", {"reason": "offensive", "note": "мат в комментариях"}
    )
    assert response.status_code == 200
    assert response.json["blocked"] is True
    assert api.post(f"/users/{target.id}/unblock", {"note": "исправился"}).status_code == 200
    log = api.get("/moderation/log").json
    assert [entry["action"] for entry in log["items"]] == ["unblock", "block"]
    block = log["items"][1]
    assert block["reason"] == "offensive"
    assert block["before"]["blocked"] is False
    assert block["after"]["blocked"] is True
    assert block["moderator_id"] == moderator.id
    api.login(target.email)
    me = api.get("/me").json
    assert me["blocked"] is False


def test_blocking_twice_is_a_conflict_with_the_current_state(api, moderator):
    target = UserFactory()
    api.login(moderator.email)
    api.post(f"/users/{target.id}/block", {})
    response = api.post(f"/users/{target.id}/block", {})
    assert response.status_code == 409
    assert response.json["current"]["blocked"] is True
    assert api.post(f"/users/{UserFactory().id}/unblock", {}).status_code == 409


def test_unknown_reason_code_is_422_and_changes_nothing(api, moderator):
    target = UserFactory()
    api.login(moderator.email)
    response = api.post(f"/users/{target.id}/block", {"reason": "no-such-code"})
    assert response.status_code == 422
    assert "reason" in response.json["errors"]
    db.session.expire_all()
    assert db.session.scalars(select(Decision)).all() == []


def test_unknown_user_is_404(api, moderator):
    api.login(moderator.email)
    assert api.post("/users/999999/block", {}).status_code == 404


def test_blocked_user_is_told_why(api, moderator):
    from app.notifications.models import Notification

    target = UserFactory()
    api.login(moderator.email)
    api.post(f"/users/{target.id}/block", {"reason": "advertising"})
    db.session.expire_all()
    bodies = db.session.scalars(
        select(Notification.body).where(Notification.user_id == target.id)
    ).all()
    assert any("Реклама или спам" in body for body in bodies)


def test_decision_log_cannot_be_rewritten(api, moderator):
    target = UserFactory()
    api.login(moderator.email)
    api.post(f"/users/{target.id}/block", {})
    db.session.expire_all()
    for statement in (
        "UPDATE moderation_decisions SET action = 'unblock'",
        "DELETE FROM moderation_decisions",
    ):
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.scalar(select(Decision.action)) == "block"


def test_workload_counts_waiting_and_lists_nothing_when_quiet(api, moderator):
    api.login(moderator.email)
    body = api.get("/moderation/workload").json
    assert body["waiting"] == {"ideas": 0, "comments": 0}
    assert body["median_seconds_to_decision"] is None
    assert body["flagged_users"] == []


def _blocked(user) -> bool:
    db.session.expire_all()
    return db.session.get(type(user), user.id).is_blocked


@pytest.mark.parametrize(
    ("roles", "reason"),
    [
        (("staff",), "target_outranks"),
        (("moderator",), "target_outranks"),
        (("admin",), "target_is_admin"),
        (("expert", "staff"), "target_outranks"),
    ],
)
def test_a_moderator_cannot_block_staff_moderators_or_admins_on_the_api(
    api, moderator, roles, reason
):
    target = UserFactory(roles=roles)
    api.login(moderator.email)
    response = api.post(f"/users/{target.id}/block", {"reason": "spam"})
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json["reason"] == reason
    assert not _blocked(target)
    assert db.session.scalars(select(Decision)).all() == []


@pytest.mark.parametrize("roles", [(), ("expert",)])
def test_a_moderator_blocks_residents_and_experts(api, moderator, roles):
    target = UserFactory(roles=roles)
    api.login(moderator.email)
    assert api.post(f"/users/{target.id}/block", {}).status_code == 200
    assert _blocked(target)


def test_only_an_admin_blocks_and_unblocks_a_moderator_or_staff(api, moderator):
    admin = UserFactory(roles=("admin",))
    staff = UserFactory(roles=("staff",))
    colleague = UserFactory(roles=("moderator",))
    api.login(admin.email)
    assert api.post(f"/users/{staff.id}/block", {}).status_code == 200
    assert api.post(f"/users/{colleague.id}/block", {}).status_code == 200
    api.login(moderator.email)
    refused = api.post(f"/users/{staff.id}/unblock", {})
    assert refused.status_code == 403
    assert refused.json["reason"] == "target_outranks"
    assert _blocked(staff)
    api.login(admin.email)
    assert api.post(f"/users/{staff.id}/unblock", {}).status_code == 200
    assert not _blocked(staff)


def test_nobody_blocks_themselves_or_an_admin(api, moderator):
    admin, other_admin = UserFactory(roles=("admin",)), UserFactory(roles=("admin",))
    api.login(moderator.email)
    assert api.post(f"/users/{moderator.id}/block", {}).json["reason"] == "self"
    api.login(admin.email)
    assert api.post(f"/users/{admin.id}/block", {}).json["reason"] == "self"
    refused = api.post(f"/users/{other_admin.id}/block", {})
    assert refused.status_code == 403
    assert refused.json["reason"] == "target_is_admin"
    assert not _blocked(moderator)
    assert not _blocked(other_admin)


def test_the_block_page_refuses_a_moderator_blocking_staff_and_says_why(pages, moderator):
    staff = UserFactory(roles=("staff",))
    pages.login(moderator.email)
    response = pages.submit(
        f"/moderation/users/{staff.id}/block", {"note": "спам"}, form_page="/moderation"
    )
    assert response.status_code == 403
    assert "Модератора или сотрудника может заблокировать только администратор." in (
        response.get_data(as_text=True)
    )
    assert not _blocked(staff)
    self_block = pages.submit(
        f"/moderation/users/{moderator.id}/block", {"note": ""}, form_page="/moderation"
    )
    assert self_block.status_code == 403
    assert "Нельзя заблокировать или разблокировать самого себя." in self_block.get_data(
        as_text=True
    )
    resident = UserFactory()
    allowed = pages.submit(
        f"/moderation/users/{resident.id}/block", {"note": ""}, form_page="/moderation"
    )
    assert allowed.status_code == 302
    assert _blocked(resident)
