"""Results: arithmetic, turnout, okrugs, time, visibility, export, decisions."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.notifications.models import Notification
from tests.factories import UserFactory, make_poll


@pytest.fixture
def app_config():
    # K = 1: no okrug cell is withheld here (tests/test_polls_results_privacy.py checks that)
    return {"VOTING_RESULTS_TTL_SECONDS": 0, "VOTING_MIN_GROUP": 1}


def cast(api, poll, district, a, bs):
    q1, q2 = poll.questions
    voter = UserFactory(district_code=district)
    api.login(voter.email)
    body = {
        "answers": [
            {"question_id": q1.id, "option_ids": [q1.options[a].id]},
            {"question_id": q2.id, "option_ids": [q2.options[b].id for b in bs]},
        ]
    }
    assert api.post(f"/polls/{poll.id}/votes", body).status_code == 201
    return voter


def test_results_arithmetic_turnout_okrugs_and_time(api):
    poll = make_poll(results="live", audience={"okrugs": ["ЦАО", "ЮЗАО"]})
    UserFactory(district_code="arbat")  # in the audience, does not vote
    UserFactory(district_code="marino")  # outside the audience: not in the turnout base
    UserFactory(district_code="arbat", verified=False)  # unverified: not in the base either
    cast(api, poll, "khamovniki", 0, [0, 1])
    cast(api, poll, "khamovniki", 0, [1])
    cast(api, poll, "teplyy-stan", 1, [1, 3])
    api.logout()
    results = api.get(f"/polls/{poll.id}/results").json
    assert results["ballots"] == 3
    # audience: the staff member (khamovniki by default), 3 voters, the arbat resident
    assert results["turnout"] == {"ballots": 3, "audience": 5, "share": 0.6}
    q1, q2 = results["questions"]
    assert [o["votes"] for o in q1["options"]] == [2, 1]
    assert [o["share"] for o in q1["options"]] == [0.6667, 0.3333]
    assert [o["votes"] for o in q2["options"]] == [1, 3, 0, 1]
    by_okrug = {row["okrug"]: row for row in results["by_okrug"]}
    assert by_okrug["cao"]["ballots"] == 2
    assert by_okrug["yuzao"]["ballots"] == 1
    assert by_okrug["cao"]["options"][str(q2["options"][1]["id"])] == 2
    assert sum(h["ballots"] for h in results["over_time"]) == 3
    assert results["ledger_root"] is None  # only after closing


def test_tally_always_equals_the_ballots(api):
    poll = make_poll(results="live")
    for i in range(4):
        cast(api, poll, "khamovniki", i % 2, [i % 4])
        results = api.get(f"/polls/{poll.id}/results").json
        assert results["ballots"] == i + 1
        assert sum(o["votes"] for o in results["questions"][0]["options"]) == i + 1


def test_results_after_close_are_hidden_until_then(api):
    poll = make_poll(results="after_close")
    cast(api, poll, "khamovniki", 0, [0])
    api.logout()
    hidden = api.get(f"/polls/{poll.id}/results")
    assert hidden.status_code == 403
    assert hidden.json["reason"] == "results_after_close"
    staff = UserFactory(roles=[Role.STAFF])
    api.login(staff.email)
    assert api.get(f"/polls/{poll.id}/results").status_code == 403  # staff neither
    api.patch(f"/polls/{poll.id}", {"status": "closed"})
    api.logout()
    final = api.get(f"/polls/{poll.id}/results").json
    assert final["final"]
    assert final["ledger_size"] == 1
    assert final["ledger_root"]


def test_export_csv_and_json(api):
    poll = make_poll(results="live")
    cast(api, poll, "khamovniki", 0, [0, 2])
    api.logout()
    response = api.get(f"/polls/{poll.id}/export", format="csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    totals = {r["option"]: int(r["votes"]) for r in rows if r["okrug"] == "all"}
    assert totals == {
        "Да": 1,
        "Нет": 0,
        "Банк": 1,
        "Нотариус": 0,
        "Фотостудия": 1,
        "Мелкий ремонт": 0,
    }
    assert any(r["okrug"] == "ЦАО" for r in rows)
    exported = api.get(f"/polls/{poll.id}/export", format="json")
    assert exported.json["ballots"] == 1
    assert api.get(f"/polls/{poll.id}/export", format="xml").status_code == 422


def test_decision_is_published_and_voters_are_notified(api):
    poll = make_poll()
    voters = [cast(api, poll, "khamovniki", 0, [0]) for _ in range(2)]
    bystander = UserFactory()
    staff = UserFactory(roles=[Role.STAFF])
    api.login(staff.email)
    text = "Флагманский офис откроется у метро Тёплый Стан; добавим банк и нотариуса."
    assert api.post(f"/polls/{poll.id}/decision", {"text": text}).status_code == 409  # still open
    api.patch(f"/polls/{poll.id}", {"status": "closed"})
    assert api.post(f"/polls/{poll.id}/decision", {"text": "ок"}).status_code == 422
    api.login(voters[0].email)
    assert api.post(f"/polls/{poll.id}/decision", {"text": text}).status_code == 403
    api.login(staff.email)
    published = api.post(f"/polls/{poll.id}/decision", {"text": text})
    assert published.status_code == 200
    assert published.json["decision"]["text"] == text
    assert api.get(f"/polls/{poll.id}/results").json["decision"]["text"] == text
    db.session.expire_all()
    notified = set(
        db.session.scalars(select(Notification.user_id).where(Notification.kind == "poll_decision"))
    )
    assert notified == {v.id for v in voters}
    assert bystander.id not in notified


def test_coordinated_voting_report(api, pages):
    from datetime import timedelta

    from sqlalchemy import insert

    from app.db import utcnow
    from voting.ballots import ballot_rows
    from voting.models import Ballot, BallotChoice
    from voting.report import coordinated_report

    poll = make_poll(results="live")  # bursts count ballots: not before closing otherwise
    for i in range(6):  # six fresh accounts voting from one address and one browser
        cast(api, poll, "khamovniki", i % 2, [i % 4])
    q1, q2 = poll.questions
    start = utcnow() - timedelta(hours=5)
    # background: varied ballots over four hours, then a burst of one exact ballot
    plan = [(start + timedelta(hours=h), (i % 2, i % 4)) for h in range(4) for i in range(8)]
    plan += [(start + timedelta(hours=4), (1, 3))] * 15
    for at, (a, b) in plan:
        answers = [
            {"question_id": q1.id, "option_ids": [q1.options[a].id]},
            {"question_id": q2.id, "option_ids": [q2.options[b].id]},
        ]
        ballot, chosen, _texts = ballot_rows(poll.id, "cao", at, answers, f"{at}{a}{b}{id(at)}")
        ballot["receipt_hash"] = ballot["id"] * 2
        db.session.execute(insert(Ballot).values(**ballot))
        db.session.execute(insert(BallotChoice), chosen)
    db.session.commit()

    report = coordinated_report(poll)
    assert report["participations"] == 6
    assert len(report["bursts"]) == 1
    assert report["bursts"][0]["ballots"] == 15
    assert report["shared_addresses"][0]["participations"] == 6
    assert report["shared_devices"][0]["participations"] == 6
    assert report["fresh_accounts"]["count"] == 6

    pages.login(UserFactory(roles=[Role.STAFF]).email)
    html = pages.get(f"/staff/polls/{poll.id}/report").get_data(as_text=True)
    assert "Всплески одинаковых бюллетеней" in html
    assert "бюллетени не удаляются" in html
