"""Results that reveal no one (issue #17): no tally of an `after_close` poll for anyone before it
closes, okrug cells of fewer than K voters withheld, no stored tally while a poll is open, and
votes over time counted from the participations."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.auth.models import Role
from app.config import Config, ConfigError
from app.db import utcnow
from app.errors import Conflict
from app.extensions import db
from tests.factories import UserFactory, make_poll
from voting.models import Participation, PollTally
from voting.results import seal_tally, withheld_okrugs

K = 3


@pytest.fixture
def app_config():
    return {"VOTING_RESULTS_TTL_SECONDS": 0, "VOTING_MIN_GROUP": K}


def cast(api, poll, district, a=0):
    q1, q2 = poll.questions
    voter = UserFactory(district_code=district)
    api.login(voter.email)
    body = {
        "answers": [
            {"question_id": q1.id, "option_ids": [q1.options[a].id]},
            {"question_id": q2.id, "option_ids": [q2.options[a].id]},
        ]
    }
    assert api.post(f"/polls/{poll.id}/votes", body).status_code == 201
    return voter


def stored_tallies() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(PollTally))


@pytest.mark.parametrize("role", [None, Role.STAFF, Role.ADMIN])
def test_no_one_sees_any_tally_of_an_open_after_close_poll(api, pages, role):
    poll = make_poll(results="after_close")
    for _ in range(2):
        cast(api, poll, "khamovniki")
    api.logout()
    if role is not None:
        viewer = UserFactory(roles=[role])
        api.login(viewer.email)
        pages.login(viewer.email)
    for path, params in [
        (f"/polls/{poll.id}/results", {}),
        (f"/polls/{poll.id}/export", {"format": "json"}),
        (f"/polls/{poll.id}/export", {"format": "csv"}),
    ]:
        response = api.get(path, **params)
        assert response.status_code == 403, path
        assert response.json["reason"] == "results_after_close"
    page = pages.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "публикуются после его закрытия" in page
    assert 'id="turnout"' not in page
    assert "<svg" not in page  # no chart either
    assert pages.get(f"/polls/{poll.id}/results.csv").status_code == 403


def test_staff_report_and_answer_groups_count_no_ballots_before_closing(api, pages):
    poll = make_poll(
        results="after_close",
        questions=[{"text": "Что улучшить?", "kind": "open"}],
    )
    voter = UserFactory()
    api.login(voter.email)
    body = {"answers": [{"question_id": poll.questions[0].id, "text": "Больше скамеек"}]}
    assert api.post(f"/polls/{poll.id}/votes", body).status_code == 201
    pages.login(UserFactory(roles=[Role.ADMIN]).email)
    report = pages.get(f"/staff/polls/{poll.id}/report").get_data(as_text=True)
    assert 'id="bursts-hidden"' in report
    assert 'id="bursts"' not in report
    clusters = pages.get(f"/staff/polls/{poll.id}/questions/{poll.questions[0].id}/clusters")
    assert clusters.status_code == 302  # back to the poll, with a message; nothing counted
    api.login(UserFactory(roles=[Role.STAFF]).email)
    api.patch(f"/polls/{poll.id}", {"status": "closed"})
    report = pages.get(f"/staff/polls/{poll.id}/report").get_data(as_text=True)
    assert 'id="bursts"' in report
    assert api.get(f"/polls/{poll.id}/results").json["ballots"] == 1


def test_okrug_cells_below_k_are_withheld_on_page_api_and_export(api, pages):
    poll = make_poll(results="live")
    for _ in range(4):
        cast(api, poll, "khamovniki")  # ЦАО: 4 voters, shown
    for _ in range(3):
        cast(api, poll, "teplyy-stan", 1)  # ЮЗАО: 3 = K, withheld only beside САО
    cast(api, poll, "aeroport", 1)  # САО: 1 voter, «менее 3»
    api.logout()

    results = api.get(f"/polls/{poll.id}/results").json
    assert results["ballots"] == 8
    rows = {row["abbrev"]: row for row in results["by_okrug"]}
    assert rows["ЦАО"]["ballots"] == 4
    assert rows["ЦАО"]["suppressed"] is False
    assert rows["САО"] == {
        "okrug": "sao",
        "abbrev": "САО",
        "ballots": None,
        "share": None,
        "options": None,
        "suppressed": True,
        "below": K,
    }
    # alone, САО would be 8 − 4 = 4 minus nothing: the next smallest is withheld with it
    assert rows["ЮЗАО"]["suppressed"] is True
    assert rows["ЮЗАО"]["ballots"] is None
    assert rows["ЮЗАО"]["below"] is None
    assert [row["abbrev"] for row in results["by_okrug"]] == ["ЦАО", "САО", "ЮЗАО"]
    assert (
        api.get(f"/polls/{poll.id}/export", format="json").json["by_okrug"] == (results["by_okrug"])
    )

    exported = api.get(f"/polls/{poll.id}/export", format="csv").get_data(as_text=True)
    cells = list(csv.DictReader(io.StringIO(exported)))
    assert {r["votes"] for r in cells if r["okrug"] == "САО"} == {"менее 3"}
    assert {r["votes"] for r in cells if r["okrug"] == "ЮЗАО"} == {"скрыто"}
    assert {r["votes"] for r in cells if r["okrug"] == "ЦАО"} == {"4"}
    assert pages.get(f"/polls/{poll.id}/results.csv").get_data(as_text=True) == exported

    page = pages.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    table = page[page.index('id="okrug-title"') : page.index('id="time-title"')]
    assert '<th scope="row">САО</th><td class="text-end">менее 3</td>' in table
    assert '<th scope="row">ЮЗАО</th><td class="text-end">скрыто</td>' in table
    assert '<th scope="row">ЦАО</th><td class="text-end">4</td>' in table
    assert 'id="okrugs-withheld"' in page


def test_withheld_okrugs_keep_a_group_of_at_least_k():
    assert withheld_okrugs({"cao": 20, "sao": 25}, 20) == set()  # at K: shown
    assert withheld_okrugs({"cao": 19, "sao": 25, "vao": 30}, 20) == {"cao", "sao"}
    assert withheld_okrugs({"cao": 1, "sao": 1, "vao": 30, "zao": 40}, 20) == {
        "cao",
        "sao",
        "vao",
    }
    assert withheld_okrugs({"cao": 12, "sao": 9, "vao": 30}, 20) == {"cao", "sao"}
    assert withheld_okrugs({"cao": 5}, 20) == {"cao"}  # fewer voters than K in all


@pytest.mark.parametrize("visibility", ["live", "after_close"])
def test_no_tally_is_stored_while_a_poll_is_open(api, pages, visibility):
    poll = make_poll(results=visibility)
    for _ in range(3):
        cast(api, poll, "khamovniki")
        api.get(f"/polls/{poll.id}/results")
        api.get(f"/polls/{poll.id}/export", format="csv")
    staff = UserFactory(roles=[Role.STAFF])
    api.login(staff.email)
    pages.login(staff.email)
    api.get(f"/polls/{poll.id}/results")
    pages.get(f"/polls/{poll.id}/results")
    pages.get(f"/polls/{poll.id}/results.csv")
    pages.get(f"/staff/polls/{poll.id}/report")
    assert stored_tallies() == 0
    with pytest.raises(Conflict):
        seal_tally(poll)
    api.patch(f"/polls/{poll.id}", {"status": "closed"})
    assert stored_tallies() == 1
    assert db.session.get_one(PollTally, poll.id).ballots == 3  # the stored row counts them too
    assert api.get(f"/polls/{poll.id}/results").json["ballots"] == 3


def test_a_live_count_is_kept_in_memory_for_its_time_only(app, api):
    app.config["VOTING_RESULTS_TTL_SECONDS"] = 3600
    poll = make_poll(results="live")
    cast(api, poll, "khamovniki")
    assert api.get(f"/polls/{poll.id}/results").json["ballots"] == 1
    cast(api, poll, "khamovniki")
    assert api.get(f"/polls/{poll.id}/results").json["ballots"] == 1  # counted, says when
    app.config["VOTING_RESULTS_TTL_SECONDS"] = 0
    assert api.get(f"/polls/{poll.id}/results").json["ballots"] == 2
    assert stored_tallies() == 0


def test_votes_over_time_count_participations_per_hour(api, pages):
    poll = make_poll(results="live")
    voters = [cast(api, poll, "khamovniki") for _ in range(3)]
    now = utcnow()
    earlier = now - timedelta(hours=2)
    # the participations of two voters say they voted two hours ago; their ballots do not
    db.session.execute(
        update(Participation)
        .where(Participation.user_id.in_([v.id for v in voters[:2]]))
        .values(created_at=earlier)
    )
    db.session.commit()
    api.logout()
    over_time = api.get(f"/polls/{poll.id}/results").json["over_time"]
    hour = now.replace(minute=0, second=0, microsecond=0)
    assert over_time == [
        {"hour": (hour - timedelta(hours=2)).isoformat(), "ballots": 2},
        {"hour": hour.isoformat(), "ballots": 1},
    ]
    page = pages.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "по записям об участии" in page


def test_k_is_one_setting_of_at_least_one():
    assert Config({}).VOTING_MIN_GROUP == 20
    assert Config({"VOTING_MIN_GROUP": "5"}).VOTING_MIN_GROUP == 5
    with pytest.raises(ConfigError, match="VOTING_MIN_GROUP"):
        Config({"VOTING_MIN_GROUP": "0"})
