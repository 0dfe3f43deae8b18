"""Concurrent double votes and a close racing with votes, on PostgreSQL (real row locks)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from tests.factories import UserFactory, make_poll
from tests.support import ApiClient
from voting.models import Ballot, BallotChoice, LedgerLeaf, Participation, Poll
from voting.verify import merkle_root

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _needs_postgres(is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serialises writers, so there is no race to test: run on PostgreSQL")


@pytest.fixture
def app_config():
    return {"VOTING_RESULTS_TTL_SECONDS": 0}


def ballot(poll: Poll, pick: int) -> dict:
    q1, q2 = poll.questions
    return {
        "answers": [
            {"question_id": q1.id, "option_ids": [q1.options[pick % 2].id]},
            {"question_id": q2.id, "option_ids": [q2.options[pick % 4].id]},
        ]
    }


def run_together(tasks) -> list:
    """Start every task at the same instant on its own thread (own client, own connection)."""
    barrier = threading.Barrier(len(tasks))
    results: list = [None] * len(tasks)

    def worker(index, task):
        barrier.wait()
        results[index] = task()

    threads = [threading.Thread(target=worker, args=(i, t)) for i, t in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_parallel_double_votes_give_exactly_one_ballot_each(app):
    poll = make_poll(results="live")
    voters = [UserFactory() for _ in range(10)]
    tokens = {}
    for voter in voters:
        client = ApiClient(app.test_client())
        tokens[voter.id] = client.login(voter.email)
    bodies = [ballot(poll, i) for i in range(len(voters))]  # threads have no app context
    path = f"/polls/{poll.id}/votes"
    for round_ in range(2):  # the second round: everyone tries again, twice at once
        tasks = []
        for i, voter in enumerate(voters):
            for _device in range(2):
                client = ApiClient(app.test_client())
                client.token = tokens[voter.id]
                tasks.append(lambda c=client, i=i: c.post(path, bodies[i]).status_code)
        statuses = run_together(tasks)
        counts = Counter(statuses)
        if round_ == 0:
            assert counts == {201: 10, 409: 10}, counts
        else:
            assert counts == {409: 20}, counts

    db.session.expire_all()
    per_user = db.session.execute(
        select(Participation.user_id, func.count()).group_by(Participation.user_id)
    ).all()
    assert sorted(n for _u, n in per_user) == [1] * 10
    assert db.session.scalar(select(func.count(Ballot.id))) == 10
    assert db.session.scalar(select(func.count()).select_from(BallotChoice)) == 20
    results = ApiClient(app.test_client()).get(f"/polls/{poll.id}/results").json
    assert results["ballots"] == 10
    for question in results["questions"]:
        assert sum(o["votes"] for o in question["options"]) == 10


def test_closing_while_votes_arrive_seals_exactly_the_accepted_ballots(app):
    poll = make_poll()
    voters = [UserFactory() for _ in range(16)]
    clients = []
    for voter in voters:
        client = ApiClient(app.test_client())
        client.login(voter.email)
        clients.append(client)
    staff = ApiClient(app.test_client())
    staff.login(UserFactory(roles=[Role.STAFF]).email)
    bodies = [ballot(poll, i) for i in range(len(clients))]
    path = f"/polls/{poll.id}"
    tasks = [
        lambda c=c, i=i: c.post(f"{path}/votes", bodies[i]).status_code
        for i, c in enumerate(clients)
    ]
    tasks.insert(8, lambda: staff.patch(path, {"status": "closed"}).status_code)
    statuses = run_together(tasks)
    assert statuses[8] == 200
    accepted = statuses.count(201)
    assert accepted + statuses.count(409) == 16

    db.session.expire_all()
    sealed = db.session.get(Poll, poll.id)
    leaves = db.session.scalars(
        select(Ballot.leaf_hash)
        .join(LedgerLeaf, LedgerLeaf.ballot_id == Ballot.id)
        .where(Ballot.poll_id == poll.id)
        .order_by(LedgerLeaf.leaf_index)
    ).all()
    assert len(leaves) == accepted == sealed.ledger_size
    assert merkle_root(leaves) == sealed.ledger_root
