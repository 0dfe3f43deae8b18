"""A published poll decision is corrected, never rewritten: every version is kept and shown,
a correction needs a reason, and it reaches exactly those who were told of the decision."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.auth.models import Role
from app.extensions import db
from app.notifications.models import Channel, Notification
from tests.factories import UserFactory, make_poll
from tests.test_polls_results import cast
from voting.models import PollDecisionVersion

FIRST = "Флагманский офис откроется у метро Тёплый Стан; добавим банк и нотариуса."
SECOND = "Флагманский офис откроется у метро Коньково; добавим банк и нотариуса."
REASON = "Помещение у Тёплого Стана не прошло проверку пожарной безопасности."


@pytest.fixture
def staff():
    return UserFactory(roles=[Role.STAFF])


def _closed_poll_with_voters(api, staff, voters=2):
    poll = make_poll(staff)
    people = [cast(api, poll, "khamovniki", 0, [0]) for _ in range(voters)]
    api.login(staff.email)
    assert api.patch(f"/polls/{poll.id}", {"status": "closed"}).status_code == 200
    return poll, people


def _told(kind: str, poll_id: int | None = None) -> set[int]:
    db.session.expire_all()
    query = select(Notification.user_id).where(
        Notification.kind == kind, Notification.channel == Channel.SITE
    )
    if poll_id is not None:
        query = query.where(Notification.link == f"/polls/{poll_id}/results")
    return set(db.session.scalars(query))


def test_a_correction_keeps_both_versions_and_the_api_shows_them(api, staff):
    poll, _voters = _closed_poll_with_voters(api, staff)
    assert api.post(f"/polls/{poll.id}/decision", {"text": FIRST}).status_code == 200
    corrected = api.post(f"/polls/{poll.id}/decision", {"text": SECOND, "reason": REASON})
    assert corrected.status_code == 200
    for decision in (
        corrected.json["decision"],
        api.get(f"/polls/{poll.id}").json["decision"],
        api.get(f"/polls/{poll.id}/results").json["decision"],
    ):
        assert decision["text"] == SECOND
        assert decision["version"] == 2
        assert [(v["version"], v["text"], v["reason"]) for v in decision["versions"]] == [
            (1, FIRST, None),
            (2, SECOND, REASON),
        ]
        assert decision["published_at"] == decision["versions"][1]["published_at"]
    db.session.expire_all()
    rows = db.session.scalars(
        select(PollDecisionVersion).where(PollDecisionVersion.poll_id == poll.id)
    ).all()
    assert [(r.version, r.text, r.published_by_id) for r in rows] == [
        (1, FIRST, staff.id),
        (2, SECOND, staff.id),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": SECOND}, "reason"),
        ({"text": SECOND, "reason": "   "}, "reason"),
        ({"text": SECOND, "reason": "ой"}, "reason"),
        ({"text": FIRST, "reason": REASON}, "text"),
        ({"text": "ок", "reason": REASON}, "text"),
    ],
)
def test_a_correction_needs_a_reason_and_a_new_text_and_changes_nothing_without(
    api, staff, body, field
):
    poll, _voters = _closed_poll_with_voters(api, staff)
    api.post(f"/polls/{poll.id}/decision", {"text": FIRST})
    refused = api.post(f"/polls/{poll.id}/decision", body)
    assert refused.status_code == 422
    assert field in refused.json["errors"]
    decision = api.get(f"/polls/{poll.id}").json["decision"]
    assert decision["text"] == FIRST
    assert len(decision["versions"]) == 1
    assert _told("poll_decision_corrected") == set()


def test_the_first_decision_takes_no_correction_reason(api, staff):
    poll, _voters = _closed_poll_with_voters(api, staff)
    refused = api.post(f"/polls/{poll.id}/decision", {"text": FIRST, "reason": REASON})
    assert refused.status_code == 422
    assert "reason" in refused.json["errors"]
    assert api.get(f"/polls/{poll.id}").json["decision"] is None


def test_a_correction_notifies_exactly_those_told_of_the_decision(api, staff):
    poll, voters = _closed_poll_with_voters(api, staff)
    other_poll, other_voters = _closed_poll_with_voters(api, staff, voters=1)
    bystander = UserFactory()
    api.post(f"/polls/{poll.id}/decision", {"text": FIRST})
    api.post(f"/polls/{other_poll.id}/decision", {"text": FIRST})
    told = _told("poll_decision", poll.id)
    assert told == {v.id for v in voters}
    api.post(f"/polls/{poll.id}/decision", {"text": SECOND, "reason": REASON})
    assert _told("poll_decision_corrected") == told
    assert bystander.id not in _told("poll_decision_corrected")
    assert other_voters[0].id not in _told("poll_decision_corrected")
    bodies = db.session.scalars(
        select(Notification.body).where(
            Notification.kind == "poll_decision_corrected",
            Notification.user_id == voters[0].id,
            Notification.channel == Channel.SITE,
        )
    ).all()
    assert len(bodies) == 1
    assert REASON in bodies[0]
    assert SECOND in bodies[0]
    # The first notice is not sent again by a correction.
    assert _told("poll_decision", poll.id) == told
    assert (
        db.session.scalar(
            select(db.func.count()).where(
                Notification.kind == "poll_decision",
                Notification.user_id == voters[0].id,
                Notification.channel == Channel.SITE,
            )
        )
        == 1
    )


def test_the_poll_page_shows_the_decision_then_each_correction_with_its_reason(api, pages, staff):
    poll, _voters = _closed_poll_with_voters(api, staff)
    pages.login(staff.email)
    staff_page = f"/staff/polls/{poll.id}"
    published = pages.submit(
        f"/staff/polls/{poll.id}/decision", {"text": FIRST}, form_page=staff_page
    )
    assert published.status_code == 302
    assert "Причина исправления" in pages.get(staff_page).get_data(as_text=True)
    without_reason = pages.submit(
        f"/staff/polls/{poll.id}/decision", {"text": SECOND}, form_page=staff_page
    )
    assert without_reason.status_code == 422
    assert "укажите причину исправления" in without_reason.get_data(as_text=True)
    corrected = pages.submit(
        f"/staff/polls/{poll.id}/decision",
        {"text": SECOND, "reason": REASON},
        form_page=staff_page,
    )
    assert corrected.status_code == 302
    for path in (f"/polls/{poll.id}", f"/polls/{poll.id}/results"):
        html = pages.get(path).get_data(as_text=True)
        section = html.split('id="decision"', 1)[1]
        assert section.index(SECOND) < section.index("исправлено") < section.index(FIRST)
        assert REASON in section


def test_a_published_version_cannot_be_rewritten_in_the_database(api, staff):
    poll, _voters = _closed_poll_with_voters(api, staff)
    api.post(f"/polls/{poll.id}/decision", {"text": FIRST})
    db.session.expire_all()
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE poll_decision_versions SET text = 'иначе'"))
    db.session.rollback()
    assert db.session.scalar(select(PollDecisionVersion.text)) == FIRST
