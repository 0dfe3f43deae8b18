"""Ballot secrecy: nothing stored on a ballot, and nothing published, leads to an account."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, select

from app.auth.models import Role
from app.extensions import db
from tests.factories import UserFactory, make_poll
from voting.models import Ballot, BallotChoice, BallotText, Participation
from voting.verify import receipt_hash


@pytest.fixture
def app_config():
    return {"VOTING_RESULTS_TTL_SECONDS": 0}


def test_ballot_tables_have_no_user_and_no_exact_time(app):
    for model in (Ballot, BallotChoice, BallotText):
        columns = {c.name for c in inspect(model).columns}
        assert not {c for c in columns if "user" in c}, model
        assert not {c for c in columns if c.endswith("_at")}, model
        foreign = {fk.column.table.name for c in inspect(model).columns for fk in c.foreign_keys}
        assert foreign <= {"polls", "poll_ballots", "poll_options", "poll_questions"}
    participation = {c.name for c in inspect(Participation).columns}
    assert not participation & {"ballot_id", "receipt_hash", "option_id", "leaf_hash"}


def test_stored_ballot_keeps_the_hour_a_random_id_and_only_the_receipt_hash(api):
    poll = make_poll()
    q1, q2 = poll.questions
    voters = [UserFactory(display_name=f"Тайный избиратель {i}") for i in range(3)]
    receipts = []
    for voter in voters:
        api.login(voter.email)
        answer = {
            "answers": [
                {"question_id": q1.id, "option_ids": [q1.options[0].id]},
                {"question_id": q2.id, "option_ids": [q2.options[1].id]},
            ]
        }
        receipts.append(api.post(f"/polls/{poll.id}/votes", answer).json["receipt"])
    db.session.expire_all()
    rows = db.session.scalars(select(Ballot)).all()
    assert len({r.id for r in rows}) == 3
    assert all(len(r.id) == 32 and not r.id.isdigit() for r in rows)
    for row in rows:
        assert row.cast_hour.minute == row.cast_hour.second == row.cast_hour.microsecond == 0
        assert row.receipt_hash in {receipt_hash(r) for r in receipts}
        for receipt in receipts:
            assert receipt not in row.content
            assert receipt.replace("-", "") not in row.content

    # Published: ballots and proofs carry no account data and no receipt.
    api.login(UserFactory(roles=[Role.STAFF]).email)
    api.patch(f"/polls/{poll.id}", {"status": "closed"})
    api.logout()
    published = api.get(f"/polls/{poll.id}/ballots").get_data(as_text=True)
    proof = api.get(f"/polls/{poll.id}/receipts/{receipts[0]}").get_data(as_text=True)
    for text in (published, proof):
        for voter in voters:
            assert voter.email not in text
            assert voter.display_name not in text
            assert f'"user_id": {voter.id}' not in text
        assert "user" not in text
        for receipt in receipts:
            assert receipt not in text
    for ballot in json.loads(published)["ballots"]:
        assert set(ballot) == {"id", "poll_id", "okrug", "hour", "receipt_hash", "answers"}


def test_participation_is_kept_apart_from_the_ballot(api):
    poll = make_poll()
    q1, q2 = poll.questions
    voter = UserFactory()
    api.login(voter.email)
    api.post(
        f"/polls/{poll.id}/votes",
        {
            "answers": [
                {"question_id": q1.id, "option_ids": [q1.options[1].id]},
                {"question_id": q2.id, "option_ids": [q2.options[3].id]},
            ]
        },
    )
    db.session.expire_all()
    participation = db.session.scalar(select(Participation))
    assert participation.user_id == voter.id
    # network address and device are kept only as keyed hashes
    assert participation.address_hash
    assert "127.0.0.1" not in participation.address_hash
    ballot = db.session.scalar(select(Ballot))
    assert str(voter.id) not in {ballot.id, ballot.okrug, ballot.receipt_hash}
    assert ballot.okrug == voter.okrug_code
