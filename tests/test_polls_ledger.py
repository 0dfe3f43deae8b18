"""The ledger: published ballots, the Merkle root, receipts, and the standalone verify script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.auth.models import Role
from tests.factories import UserFactory, make_poll
from voting import verify

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_config():
    return {"VOTING_RESULTS_TTL_SECONDS": 0}


def vote_many(api, poll, picks):
    """One voter per pick: (option index for question 1, option indexes for question 2)."""
    q1, q2 = poll.questions
    receipts = []
    for i, (a, bs) in enumerate(picks):
        voter = UserFactory(district_code=["khamovniki", "marino", "teplyy-stan"][i % 3])
        api.login(voter.email)
        body = {
            "answers": [
                {"question_id": q1.id, "option_ids": [q1.options[a].id]},
                {"question_id": q2.id, "option_ids": [q2.options[b].id for b in bs]},
            ]
        }
        response = api.post(f"/polls/{poll.id}/votes", body)
        assert response.status_code == 201, response.json
        receipts.append(response.json["receipt"])
    return receipts


def close(api, poll):
    api.login(UserFactory(roles=[Role.STAFF]).email)
    response = api.patch(f"/polls/{poll.id}", {"status": "closed"})
    assert response.status_code == 200, response.json
    return response.json


PICKS = [(0, [0, 1]), (0, [1]), (1, [2, 3]), (0, [0]), (1, [1, 2])]


def test_ballots_and_receipts_only_after_closing(api):
    poll = make_poll()
    receipts = vote_many(api, poll, PICKS[:1])
    assert api.get(f"/polls/{poll.id}/ballots").status_code == 409
    assert api.get(f"/polls/{poll.id}/receipts/{receipts[0]}").status_code == 409


def test_ledger_round_trip_with_the_verify_script(api, tmp_path):
    poll = make_poll(results="live")
    receipts = vote_many(api, poll, PICKS)
    closed = close(api, poll)
    assert closed["ledger_size"] == 5

    document = api.get(f"/polls/{poll.id}/ballots").json
    assert document["ledger_root"] == closed["ledger_root"]
    assert len(document["ballots"]) == 5
    results = api.get(f"/polls/{poll.id}/results").json
    assert results["ledger_root"] == closed["ledger_root"]

    ballots_file = tmp_path / "ballots.json"
    ballots_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    results_file = tmp_path / "results.json"
    results_file.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [
            sys.executable,
            "-m",
            "voting.verify",
            str(ballots_file),
            "--receipt",
            receipts[2].lower(),
            "--results",
            str(results_file),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["root_matches"]
    assert report["results_match"]
    assert report["receipt"]["included"]
    q1, q2 = poll.questions
    assert report["receipt"]["ballot"]["answers"][0]["option_ids"] == [q1.options[1].id]
    assert report["tally"]["options"][str(q2.options[1].id)] == 3

    # A single changed choice in one ballot breaks the root, and the recount disagrees.
    tampered = json.loads(json.dumps(document))
    tampered["ballots"][0]["answers"][0]["option_ids"] = [
        q1.options[1].id
        if tampered["ballots"][0]["answers"][0]["option_ids"] == [q1.options[0].id]
        else q1.options[0].id
    ]
    ballots_file.write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
    bad = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "voting.verify", str(ballots_file), "--results", str(results_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    bad_report = json.loads(bad.stdout)
    assert not bad_report["root_matches"]
    assert not bad_report["results_match"]


def test_dropped_ballot_is_detected():
    ballots = [{"id": str(i), "receipt_hash": str(i), "answers": []} for i in range(5)]
    root = verify.merkle_root(verify.leaf_hash(b) for b in ballots)
    assert verify.verify({"ledger_root": root, "ballots": ballots})["ok"]
    assert not verify.verify({"ledger_root": root, "ballots": ballots[1:]})["ok"]
    assert not verify.verify({"ledger_root": root, "ballots": [*ballots, ballots[0]]})["ok"]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13])
def test_every_leaf_has_a_proof(n):
    leaves = [verify.leaf_hash({"id": str(i)}) for i in range(n)]
    root = verify.merkle_root(leaves)
    for leaf in leaves:
        assert verify.root_from_proof(leaf, verify.merkle_proof(leaves, leaf)) == root
    assert verify.merkle_root(reversed(leaves)) == root  # order of voting does not matter
    with pytest.raises(ValueError, match="not in the ledger"):
        verify.merkle_proof(leaves, verify.leaf_hash({"id": "x"}))


def test_receipt_proof_and_forged_receipts(api):
    poll = make_poll()
    receipts = vote_many(api, poll, PICKS[:3])
    closed = close(api, poll)
    api.logout()
    proof = api.get(f"/polls/{poll.id}/receipts/{receipts[1]}")
    assert proof.status_code == 200
    body = proof.json
    assert verify.leaf_hash(body["ballot"]) == body["leaf_hash"]
    assert verify.root_from_proof(body["leaf_hash"], body["proof"]) == closed["ledger_root"]
    forged = receipts[1][:-1] + ("0" if receipts[1][-1] != "0" else "1")
    assert api.get(f"/polls/{poll.id}/receipts/{forged}").status_code == 404
    assert api.get(f"/polls/{poll.id}/receipts/nonsense").status_code == 404
    other = make_poll()
    close(api, other)
    assert api.get(f"/polls/{other.id}/receipts/{receipts[1]}").status_code == 404


def test_empty_poll_has_the_empty_root(api):
    poll = make_poll()
    closed = close(api, poll)
    assert closed["ledger_root"] == verify.EMPTY_ROOT
    assert api.get(f"/polls/{poll.id}/ballots").json["ballots"] == []


def test_verify_script_needs_nothing_but_the_standard_library():
    code = (
        "import sys, voting.verify; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'sqlalchemy', 'app', 'pydantic', 'werkzeug')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
