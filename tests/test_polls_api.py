"""Polls over the API: staff drafting and opening, who may vote, and every bad ballot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.auth.models import ApiToken, Role
from app.auth.services import block_user, end_all_sessions, revoke_token
from app.db import utcnow
from app.extensions import db
from app.points.services import get_balance
from tests.factories import UserFactory, make_poll
from voting import ballots as voting_ballots
from voting.models import Ballot, BallotChoice, Participation, Poll, PollStatus


@pytest.fixture
def app_config():
    return {"VOTING_RESULTS_TTL_SECONDS": 0}


def ballots() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Ballot.id))) or 0


def choices() -> int:
    return db.session.scalar(select(func.count()).select_from(BallotChoice)) or 0


def ids(poll: Poll) -> tuple[int, list[int], int, list[int]]:
    q1, q2 = poll.questions[0], poll.questions[1]
    return q1.id, [o.id for o in q1.options], q2.id, [o.id for o in q2.options]


def good_ballot(poll: Poll) -> dict:
    q1, o1, q2, o2 = ids(poll)
    return {
        "answers": [
            {"question_id": q1, "option_ids": [o1[0]]},
            {"question_id": q2, "option_ids": [o2[0], o2[2]]},
        ]
    }


POLL_BODY = {
    "title": "Где открыть флагманский офис в ЮЗАО",
    "description": "Выберите место",
    "questions": [
        {
            "text": "Где открыть офис?",
            "kind": "single",
            "options": [
                {"text": "У метро Тёплый Стан", "okrug": "ЮЗАО", "lat": 55.6186, "lon": 37.5059},
                {"text": "У метро Профсоюзная", "okrug": "ЮЗАО", "lat": 55.6777, "lon": 37.5628},
            ],
        },
        {"text": "Что ещё вы хотите предложить?", "kind": "open"},
    ],
    "audience": {"okrugs": ["ЮЗАО"]},
    "results": "live",
}


def test_staff_create_open_and_read_poll(api):
    staff = UserFactory(roles=[Role.STAFF])
    api.login(staff.email)
    created = api.post("/polls", POLL_BODY)
    assert created.status_code == 201, created.json
    poll = created.json
    assert poll["status"] == "draft"
    assert poll["audience"] == {"okrugs": ["yuzao"], "districts": []}
    assert poll["questions"][0]["options"][0]["okrug"] == "yuzao"

    api.logout()
    assert api.get(f"/polls/{poll['id']}").status_code == 404  # drafts are for staff
    assert api.get("/polls").json["total"] == 0

    api.login(staff.email)
    patched = api.patch(f"/polls/{poll['id']}", {"title": "Флагманский офис в ЮЗАО"})
    assert patched.json["title"] == "Флагманский офис в ЮЗАО"
    opened = api.patch(f"/polls/{poll['id']}", {"status": "open"})
    assert opened.status_code == 200
    assert opened.json["status"] == "open"
    assert api.patch(f"/polls/{poll['id']}", {"title": "Другое"}).status_code == 409

    api.logout()
    listed = api.get("/polls")
    assert listed.json["total"] == 1
    assert listed.json["items"][0]["questions"]


def test_only_staff_create_polls(api):
    assert api.post("/polls", POLL_BODY).status_code == 401
    resident = UserFactory()
    api.login(resident.email)
    assert api.post("/polls", POLL_BODY).status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"questions": []}, "questions"),
        (
            {"questions": [{"text": "Один вариант?", "options": [{"text": "Да"}]}]},
            "questions.0.options",
        ),
        (
            {
                "questions": [
                    {
                        "text": "Много?",
                        "kind": "multiple",
                        "max_choices": 5,
                        "options": [{"text": "А"}, {"text": "Б"}],
                    }
                ]
            },
            "questions.0.max_choices",
        ),
        ({"audience": {"okrugs": ["Атлантида"]}}, "audience.okrugs"),
        (
            {
                "questions": [
                    {
                        "text": "Где?",
                        "options": [{"text": "А", "lat": 10, "lon": 37.6}, {"text": "Б"}],
                    }
                ]
            },
            "questions.0.options.0.lat",
        ),
        (
            {"opens_at": "2026-12-02T10:00:00+03:00", "closes_at": "2026-12-01T10:00:00+03:00"},
            "closes_at",
        ),
    ],
)
def test_poll_validation(api, change, field):
    api.login(UserFactory(roles=[Role.STAFF]).email)
    response = api.post("/polls", {**POLL_BODY, **change})
    assert response.status_code == 422
    assert field in response.json["errors"], response.json


def test_vote_returns_receipt_awards_points_and_counts(api):
    poll = make_poll()
    voter = UserFactory()
    api.login(voter.email)
    response = api.post(f"/polls/{poll.id}/votes", good_ballot(poll))
    assert response.status_code == 201, response.json
    assert len(response.json["receipt"].replace("-", "")) == 32
    assert ballots() == 1
    assert choices() == 3
    assert get_balance(voter.id) == 10

    again = api.post(f"/polls/{poll.id}/votes", good_ballot(poll))
    assert again.status_code == 409
    assert again.json["type"].endswith("already_voted")
    assert ballots() == 1
    assert choices() == 3
    assert get_balance(voter.id) == 10


def test_unknown_poll_is_404(api):
    api.login(UserFactory().email)
    assert api.post("/polls/999/votes", {"answers": []}).status_code == 404
    assert api.get("/polls/999").status_code == 404
    assert api.get("/polls/999/results").status_code == 404


def test_draft_poll_is_404_for_voters(api):
    poll = make_poll(open_now=False)
    api.login(UserFactory().email)
    assert api.post(f"/polls/{poll.id}/votes", good_ballot(poll)).status_code == 404


@pytest.mark.parametrize(
    ("make_voter", "reason"),
    [
        (lambda: UserFactory(verified=False), "not_verified"),
        (lambda: UserFactory(district_code="marino"), "not_in_audience"),
    ],
)
def test_who_may_not_vote(api, make_voter, reason):
    poll = make_poll(audience={"okrugs": ["ЦАО"], "districts": ["teplyy-stan"]})
    voter = make_voter()
    api.login(voter.email)
    response = api.post(f"/polls/{poll.id}/votes", good_ballot(poll))
    assert response.status_code == 403
    assert response.json["reason"] == reason
    assert ballots() == 0


def test_blocked_resident_may_not_vote(api):
    poll = make_poll()
    voter = UserFactory()
    api.login(voter.email)
    block_user(voter, "спам")
    db.session.commit()
    response = api.post(f"/polls/{poll.id}/votes", good_ballot(poll))
    assert response.status_code == 403
    assert response.json["reason"] == "blocked"
    assert ballots() == 0


def test_audience_by_district_and_okrug(api):
    poll = make_poll(audience={"okrugs": ["ЦАО"], "districts": ["Тёплый Стан"]})
    for district in ("khamovniki", "teplyy-stan"):  # ЦАО by okrug, and one named district
        api.login(UserFactory(district_code=district).email)
        assert api.post(f"/polls/{poll.id}/votes", good_ballot(poll)).status_code == 201
    assert ballots() == 2


def test_unauthenticated_vote_is_401(api):
    poll = make_poll()
    assert api.post(f"/polls/{poll.id}/votes", good_ballot(poll)).status_code == 401


@pytest.mark.parametrize("ended", ["revoked", "expired", "signed_out_everywhere"])
def test_vote_with_a_token_that_no_longer_works_is_401(api, ended):
    poll = make_poll()
    voter = UserFactory()
    raw = api.login(voter.email)
    if ended == "revoked":
        revoke_token(raw)
    elif ended == "expired":
        db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    else:
        end_all_sessions(voter)
    db.session.commit()
    response = api.post(f"/polls/{poll.id}/votes", good_ballot(poll))
    assert response.status_code == 401, response.json
    assert ballots() == 0


def test_staff_voting_by_token_in_a_draft_see_it_is_not_open(api):
    """Roles come with the token's holder: staff see their draft (not a 404) but cannot vote."""
    poll = make_poll(open_now=False)
    api.login(UserFactory(roles=[Role.MODERATOR, Role.STAFF]).email)
    response = api.post(f"/polls/{poll.id}/votes", good_ballot(poll))
    assert response.status_code == 409, response.json
    assert ballots() == 0


def test_session_cookie_decides_who_votes_even_with_another_users_token(api, pages):
    poll = make_poll()
    cookie_user, token_user = UserFactory(), UserFactory()
    pages.login(cookie_user.email)
    raw = api.login(token_user.email)
    response = pages.client.post(
        f"/api/v1/polls/{poll.id}/votes",
        json=good_ballot(poll),
        headers={"Authorization": f"Bearer {raw}", "X-CSRFToken": pages.csrf_token("/")},
    )
    assert response.status_code == 201, response.json
    voters = db.session.scalars(select(Participation.user_id)).all()
    assert voters == [cookie_user.id]


def test_voting_before_opening_and_after_closing(api):
    future = make_poll(opens_at=utcnow() + timedelta(hours=1))
    api.login(UserFactory().email)
    early = api.post(f"/polls/{future.id}/votes", good_ballot(future))
    assert early.status_code == 409
    assert early.json["reason"] == "not_started"
    assert api.get(f"/polls/{future.id}").json["phase"] == "scheduled"

    closed = make_poll()
    staff = UserFactory(roles=[Role.STAFF])
    api.login(staff.email)
    assert api.patch(f"/polls/{closed.id}", {"status": "closed"}).status_code == 200
    assert api.patch(f"/polls/{closed.id}", {"status": "closed"}).status_code == 409
    api.login(UserFactory().email)
    late = api.post(f"/polls/{closed.id}/votes", good_ballot(closed))
    assert late.status_code == 409
    assert late.json["reason"] == "closed"
    assert ballots() == 0


def test_poll_closed_between_reading_it_and_storing_the_ballot_refuses_the_vote(api, monkeypatch):
    poll = make_poll()
    api.login(UserFactory().email)

    def closing_first(write):
        def close_then_write(conn, shape, *rows):
            conn.execute(update(Poll).where(Poll.id == shape.id).values(status=PollStatus.CLOSED))
            return write(conn, shape, *rows)

        return close_then_write

    for writer in ("_write", "_write_in_one_statement"):
        monkeypatch.setattr(voting_ballots, writer, closing_first(getattr(voting_ballots, writer)))
    response = api.post(f"/polls/{poll.id}/votes", good_ballot(poll))
    assert response.status_code == 409, response.json
    assert response.json["reason"] == "closed"
    assert ballots() == 0


def test_poll_past_its_closing_time_closes_itself(api):
    poll = make_poll(closes_at=utcnow() + timedelta(hours=1))
    api.login(UserFactory().email)
    assert api.post(f"/polls/{poll.id}/votes", good_ballot(poll)).status_code == 201
    db.session.execute(Poll.__table__.update().values(closes_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    api.login(UserFactory().email)
    assert api.post(f"/polls/{poll.id}/votes", good_ballot(poll)).status_code == 409
    read = api.get(f"/polls/{poll.id}")
    assert read.json["status"] == "closed"
    assert read.json["ledger_size"] == 1
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).status is PollStatus.CLOSED


def bad_ballots(poll: Poll, other: Poll) -> list[tuple[str, dict]]:
    q1, o1, q2, o2 = ids(poll)
    _oq1, other_o1, _oq2, _ = ids(other)
    return [
        ("empty", {"answers": []}),
        (
            "no options",
            {
                "answers": [
                    {"question_id": q1, "option_ids": []},
                    {"question_id": q2, "option_ids": [o2[0]]},
                ]
            },
        ),
        (
            "option of another question",
            {
                "answers": [
                    {"question_id": q1, "option_ids": [o2[0]]},
                    {"question_id": q2, "option_ids": [o2[1]]},
                ]
            },
        ),
        (
            "option of another poll",
            {
                "answers": [
                    {"question_id": q1, "option_ids": [other_o1[0]]},
                    {"question_id": q2, "option_ids": [o2[1]]},
                ]
            },
        ),
        (
            "question of another poll",
            {"answers": [{"question_id": _oq1, "option_ids": [other_o1[0]]}]},
        ),
        (
            "two on a single question",
            {
                "answers": [
                    {"question_id": q1, "option_ids": o1},
                    {"question_id": q2, "option_ids": [o2[1]]},
                ]
            },
        ),
        (
            "too many choices",
            {
                "answers": [
                    {"question_id": q1, "option_ids": [o1[0]]},
                    {"question_id": q2, "option_ids": o2[:3]},
                ]
            },
        ),
        (
            "repeated option",
            {
                "answers": [
                    {"question_id": q1, "option_ids": [o1[0]]},
                    {"question_id": q2, "option_ids": [o2[0], o2[0]]},
                ]
            },
        ),
        (
            "question twice",
            {
                "answers": [
                    {"question_id": q1, "option_ids": [o1[0]]},
                    {"question_id": q1, "option_ids": [o1[1]]},
                    {"question_id": q2, "option_ids": [o2[0]]},
                ]
            },
        ),
        ("missing question", {"answers": [{"question_id": q1, "option_ids": [o1[0]]}]}),
        (
            "text on a choice question",
            {
                "answers": [
                    {"question_id": q1, "text": "да"},
                    {"question_id": q2, "option_ids": [o2[0]]},
                ]
            },
        ),
        (
            "boolean id",
            {
                "answers": [
                    {"question_id": q1, "option_ids": [True]},
                    {"question_id": q2, "option_ids": [o2[0]]},
                ]
            },
        ),
        (
            "string id",
            {
                "answers": [
                    {"question_id": q1, "option_ids": [str(o1[0])]},
                    {"question_id": q2, "option_ids": [o2[0]]},
                ]
            },
        ),
        ("unknown field", {"answers": [{"question_id": q1, "option_ids": [o1[0]], "weight": 2}]}),
        ("not a list", {"answers": {"question_id": q1}}),
    ]


def test_every_bad_ballot_is_422_and_counts_nothing(api):
    poll = make_poll()
    other = make_poll()
    voter = UserFactory()
    api.login(voter.email)
    for name, body in bad_ballots(poll, other):
        response = api.post(f"/polls/{poll.id}/votes", body)
        assert response.status_code == 422, (name, response.json)
        assert response.json.get("errors"), name
    assert ballots() == 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Participation.id))) == 0
    # after all that, the one good ballot still goes through, once
    assert api.post(f"/polls/{poll.id}/votes", good_ballot(poll)).status_code == 201
    assert ballots() == 1


def test_open_answers_are_checked_and_optional(api):
    poll = make_poll(
        questions=[
            {"text": "Нужен ли офис?", "kind": "single", "options": ["Да", "Нет"]},
            {"text": "Что ещё?", "kind": "open"},
        ]
    )
    q1, o1 = poll.questions[0].id, [o.id for o in poll.questions[0].options]
    q2 = poll.questions[1].id
    api.login(UserFactory().email)
    bad = api.post(
        f"/polls/{poll.id}/votes",
        {
            "answers": [
                {"question_id": q1, "option_ids": [o1[0]]},
                {"question_id": q2, "text": "а\x00б"},
            ]
        },
    )
    assert bad.status_code == 422
    assert "answers.1.text" in bad.json["errors"]
    options_on_open = api.post(
        f"/polls/{poll.id}/votes",
        {
            "answers": [
                {"question_id": q1, "option_ids": [o1[0]]},
                {"question_id": q2, "option_ids": [o1[0]]},
            ]
        },
    )
    assert options_on_open.status_code == 422
    ok = api.post(
        f"/polls/{poll.id}/votes",
        {
            "answers": [
                {"question_id": q1, "option_ids": [o1[0]]},
                {"question_id": q2, "text": "  Пункт выдачи <b>посылок</b>  "},
            ]
        },
    )
    assert ok.status_code == 201
    api.login(UserFactory().email)
    blank = api.post(
        f"/polls/{poll.id}/votes",
        {
            "answers": [
                {"question_id": q1, "option_ids": [o1[1]]},
                {"question_id": q2, "text": "   "},
            ]
        },
    )
    assert blank.status_code == 201


def test_malformed_json_is_400(api):
    poll = make_poll()
    api.login(UserFactory().email)
    response = api.client.post(
        f"/api/v1/polls/{poll.id}/votes",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 400
