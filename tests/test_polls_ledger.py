"""The ledger: an RFC 9162 tree with signed heads, its API (heads, consistency proofs, leaves,
receipts), the published ballots, the standalone verify script and the watcher."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from app.auth.models import Role
from app.extensions import db
from tests.factories import UserFactory, make_poll
from voting import ledger, merkle, verify, watch
from voting.models import LedgerHead, LedgerLeaf, LedgerNode

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


LEDGER_KEY = SigningKey(bytes.fromhex("1e" * 32))  # tests/conftest.py's LEDGER_SIGNING_KEY


def signed_by_the_site(poll_id, head):
    """The contract's signature check, written out with nothing of ours."""
    message = json.dumps(
        {k: head[k] for k in ("participations", "root", "timestamp", "tree_size")}
        | {"poll_id": poll_id},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    assert head["public_key"] == bytes(LEDGER_KEY.verify_key).hex()
    return LEDGER_KEY.verify_key.verify(message, bytes.fromhex(head["signature"])) == message


def append_waiting(poll):
    """What the ballot box will do per batch: append the ballots not yet in the tree."""
    head = ledger.seal_waiting_ballots(poll)
    db.session.commit()
    return head


def run_script(*args):
    return subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_an_open_polls_ledger_is_an_empty_signed_tree_and_its_receipts_are_sealed(api):
    poll = make_poll()
    receipts = vote_many(api, poll, PICKS[:2])
    api.logout()
    head = api.get(f"/polls/{poll.id}/ledger").json
    assert (head["tree_size"], head["root"], head["participations"]) == (0, verify.EMPTY_ROOT, 0)
    assert signed_by_the_site(poll.id, head)
    assert api.get(f"/polls/{poll.id}/ledger").json == head  # the same head on every read
    assert api.get(f"/polls/{poll.id}/receipts/{receipts[0]}").json == {"status": "sealed"}
    assert api.get(f"/polls/{poll.id}/receipts/{'0' * 32}").status_code == 404
    assert api.get(f"/polls/{poll.id}/ballots").status_code == 409


def test_ledger_round_trip_with_the_verify_script(api, tmp_path):
    poll = make_poll(results="live")
    receipts = vote_many(api, poll, PICKS)
    closed = close(api, poll)
    assert closed["ledger_size"] == 5

    head = api.get(f"/polls/{poll.id}/ledger").json
    assert signed_by_the_site(poll.id, head)
    assert (head["tree_size"], head["participations"]) == (5, 5)
    assert head["root"] == closed["ledger_root"]
    document = api.get(f"/polls/{poll.id}/ballots").json
    assert document["ledger_root"] == closed["ledger_root"]
    assert document["tree_head"] == head
    assert len(document["ballots"]) == 5
    results = api.get(f"/polls/{poll.id}/results").json
    assert results["ledger_root"] == closed["ledger_root"]

    ballots_file = tmp_path / "ballots.json"
    ballots_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    results_file = tmp_path / "results.json"
    results_file.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    run = run_script(
        "voting.verify",
        str(ballots_file),
        "--receipt",
        receipts[2].lower().replace("-", " "),
        "--results",
        str(results_file),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["root_matches"]
    assert report["head_signed"]
    assert report["leaves_equal_participations"]
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
    bad = run_script("voting.verify", str(ballots_file), "--results", str(results_file))
    assert bad.returncode == 1
    bad_report = json.loads(bad.stdout)
    assert not bad_report["root_matches"]
    assert not bad_report["head_matches"]
    assert not bad_report["results_match"]

    # Two ballots swapped: the same ballots, another tree; the signed head tells.
    swapped = json.loads(json.dumps(document))
    swapped["ballots"][0], swapped["ballots"][1] = swapped["ballots"][1], swapped["ballots"][0]
    assert not verify.verify(swapped)["ok"]
    # A head whose participations are not its leaves is refused, even when re-signed.
    short = json.loads(json.dumps(document))
    short["tree_head"]["participations"] = 6
    short["tree_head"]["signature"] = LEDGER_KEY.sign(
        verify.head_message(poll.id, short["tree_head"])
    ).signature.hex()
    report = verify.verify(short)
    assert report["head_signed"]
    assert not report["leaves_equal_participations"]
    assert not report["ok"]


def test_dropped_ballot_is_detected():
    ballots = [{"id": str(i), "receipt_hash": str(i), "answers": []} for i in range(5)]
    root = verify.merkle_root(verify.leaf_hash(b) for b in ballots)
    assert verify.verify({"ledger_root": root, "ballots": ballots})["ok"]
    assert not verify.verify({"ledger_root": root, "ballots": ballots[1:]})["ok"]
    assert not verify.verify({"ledger_root": root, "ballots": [*ballots, ballots[0]]})["ok"]


def test_receipt_proof_and_forged_receipts(api):
    poll = make_poll()
    receipts = vote_many(api, poll, PICKS[:3])
    closed = close(api, poll)
    api.logout()
    typed = " " + receipts[1].replace("-", "").lower() + " "  # dashes and spaces are ignored
    proof = api.get(f"/polls/{poll.id}/receipts/{typed}")
    assert proof.status_code == 200
    body = proof.json
    assert set(body) == {"status", "leaf_index", "tree_size", "proof", "ballot"}
    assert (body["status"], body["tree_size"]) == ("recorded", 3)
    assert body["ballot"]["receipt_hash"] == verify.receipt_hash(receipts[1])
    assert merkle.verify_inclusion(
        merkle.hash_leaf(verify.canonical(body["ballot"])),
        body["leaf_index"],
        body["tree_size"],
        merkle.unhex(body["proof"]),
        bytes.fromhex(closed["ledger_root"]),
    )
    leaf = api.get(f"/polls/{poll.id}/ledger/leaves", start=body["leaf_index"], end=3)
    assert leaf.json["leaves"][0]["ballot"] == body["ballot"]
    forged = receipts[1][:-1] + ("0" if receipts[1][-1] != "0" else "1")
    assert api.get(f"/polls/{poll.id}/receipts/{forged}").status_code == 404
    missing = api.get(f"/polls/{poll.id}/receipts/nonsense")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    other = make_poll()
    close(api, other)
    assert api.get(f"/polls/{other.id}/receipts/{receipts[1]}").status_code == 404


def test_empty_poll_has_the_empty_root(api):
    poll = make_poll()
    closed = close(api, poll)
    assert closed["ledger_root"] == verify.EMPTY_ROOT
    document = api.get(f"/polls/{poll.id}/ballots").json
    assert document["ballots"] == []
    assert document["tree_head"]["tree_size"] == 0
    assert signed_by_the_site(poll.id, document["tree_head"])
    assert verify.verify(document)["ok"]


def test_leaves_pages_are_the_ballots_in_tree_order(api, monkeypatch):
    poll = make_poll()
    vote_many(api, poll, PICKS)
    close(api, poll)
    api.logout()
    document = api.get(f"/polls/{poll.id}/ballots").json
    page = api.get(f"/polls/{poll.id}/ledger/leaves", start=0, end=5).json
    assert (page["start"], page["end"]) == (0, 5)
    assert [leaf["index"] for leaf in page["leaves"]] == [0, 1, 2, 3, 4]
    assert [leaf["ballot"] for leaf in page["leaves"]] == document["ballots"]
    # Anyone can recompute the published root from the leaves the API returns.
    hashes = [merkle.hash_leaf(verify.canonical(leaf["ballot"])) for leaf in page["leaves"]]
    assert merkle.MemoryTree(hashes).root().hex() == document["tree_head"]["root"]
    middle = api.get(f"/polls/{poll.id}/ledger/leaves", start=2, end=4).json
    assert middle["leaves"] == page["leaves"][2:4]
    assert api.get(f"/polls/{poll.id}/ledger/leaves", start=5, end=5).json["leaves"] == []
    monkeypatch.setattr(ledger, "MAX_LEAVES_PAGE", 2)
    too_many = api.get(f"/polls/{poll.id}/ledger/leaves", start=0, end=3)
    assert too_many.status_code == 422
    assert "end" in too_many.json["errors"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": -1, "end": 2}, "start"),
        ({"start": 3, "end": 2}, "end"),
        ({"start": 0, "end": 6}, "end"),
        ({"start": 6, "end": 7}, "start"),
    ],
)
def test_leaves_out_of_range_are_a_problem(api, query, field):
    poll = make_poll()
    vote_many(api, poll, PICKS)
    close(api, poll)
    response = api.get(f"/polls/{poll.id}/ledger/leaves", **query)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]


def test_out_of_range_problems_speak_the_callers_language(api):
    poll = make_poll()
    vote_many(api, poll, PICKS[:2])
    close(api, poll)
    english = {"Accept-Language": "en"}
    leaves = api.client.get(f"/api/v1/polls/{poll.id}/ledger/leaves?start=0&end=9", headers=english)
    assert leaves.json["detail"] == "The ledger has no such leaves."
    assert leaves.json["errors"]["end"] == ["Must be from start to 2."]
    sizes = api.client.get(
        f"/api/v1/polls/{poll.id}/ledger/consistency?first=3&second=2", headers=english
    )
    assert sizes.json["detail"] == "The ledger has had no such sizes."
    assert sizes.json["errors"]["first"] == ["Must be from 1 to 2."]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"first": 0, "second": 3}, "first"),
        ({"first": 4, "second": 3}, "second"),
        ({"first": 2, "second": 6}, "second"),
        ({"first": 6, "second": 6}, "first"),
        ({"first": -1, "second": 2}, "first"),
    ],
)
def test_consistency_out_of_range_is_a_problem(api, query, field):
    poll = make_poll()
    vote_many(api, poll, PICKS)
    close(api, poll)
    response = api.get(f"/polls/{poll.id}/ledger/consistency", **query)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    assert api.get(f"/polls/{poll.id}/ledger/consistency", first="x", second=2).status_code == 422


def test_batches_grow_one_tree_that_a_watcher_follows_and_the_verifier_checks(api, tmp_path):
    """Batches appended while the poll runs (as the ballot box will), the rest at close: every
    head extends the one before, and the saved heads check against the final ledger."""
    poll = make_poll()
    state_file = tmp_path / "heads.json"

    def fetch(url):
        response = api.client.get(url.removeprefix("http://city.test"))
        assert response.status_code == 200, response.json
        return response.json

    def watch_round():
        return watch.main(
            ["http://city.test", str(poll.id), "--state", str(state_file), "--once"], fetch
        )

    assert watch_round() == 0  # the empty tree
    receipts = vote_many(api, poll, PICKS[:3])
    first = append_waiting(poll)
    assert (first.tree_size, first.participations) == (3, 3)
    assert api.get(f"/polls/{poll.id}/receipts/{receipts[0]}").json["status"] == "recorded"
    assert watch_round() == 0
    receipts += vote_many(api, poll, PICKS[3:])
    assert api.get(f"/polls/{poll.id}/receipts/{receipts[4]}").json == {"status": "sealed"}
    assert watch_round() == 0  # nothing new yet
    closed = close(api, poll)
    assert closed["ledger_size"] == 5
    assert watch_round() == 0
    saved = json.loads(state_file.read_text())
    assert [h["tree_size"] for h in saved["heads"]] == [0, 3, 5]
    consistency = api.get(f"/polls/{poll.id}/ledger/consistency", first=3, second=5).json
    assert saved["heads"][2]["consistency"] == consistency["proof"]
    assert merkle.verify_consistency(
        3,
        5,
        bytes.fromhex(first.root),
        bytes.fromhex(closed["ledger_root"]),
        merkle.unhex(consistency["proof"]),
    )
    # The first batch's leaves kept their places when the second was appended.
    old_leaves = api.get(f"/polls/{poll.id}/ledger/leaves", start=0, end=3).json["leaves"]
    hashes = [merkle.hash_leaf(verify.canonical(leaf["ballot"])) for leaf in old_leaves]
    assert merkle.MemoryTree(hashes).root().hex() == first.root

    ballots_file = tmp_path / "ballots.json"
    document = api.get(f"/polls/{poll.id}/ballots").json
    ballots_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    run = run_script(
        "voting.verify", str(ballots_file), "--heads", str(state_file), "--receipt", receipts[0]
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["heads_problems"] == []
    assert run_script("voting.verify", "--heads", str(state_file)).returncode == 0

    # A saved head the final ledger never had (its middle head rewritten) fails the check.
    forged = json.loads(state_file.read_text())
    forged["heads"][1]["root"] = "ab" * 32
    forged["heads"][1]["signature"] = LEDGER_KEY.sign(
        verify.head_message(poll.id, forged["heads"][1])
    ).signature.hex()
    problems = verify.verify(document, heads=forged["heads"])["heads_problems"]
    assert any("head 1" in p and "not a state of the published ledger" in p for p in problems)
    assert any("head 2" in p and "does not extend" in p for p in problems)


def test_the_watcher_raises_the_alarm_when_the_ledger_is_rewritten(api):
    poll = make_poll()
    vote_many(api, poll, PICKS[:3])
    append_waiting(poll)
    state = {}

    def fetch(url):
        return api.client.get(url.removeprefix("http://city.test")).json

    assert watch.watch_once("http://city.test", poll.id, state, fetch)
    assert not watch.watch_once("http://city.test", poll.id, state, fetch)  # unchanged

    # The operator rewrites the first two leaves (their stored subtree): the next batch's
    # head is signed by the site's key but does not extend what the watcher saw.
    node = db.session.get(LedgerNode, (poll.id, 1, 0))
    node.hash = "cd" * 32
    db.session.commit()
    vote_many(api, poll, PICKS[3:])
    append_waiting(poll)
    with pytest.raises(watch.LedgerBroken, match="does not extend"):
        watch.watch_once("http://city.test", poll.id, state, fetch)
    assert len(state["heads"]) == 1  # nothing of the broken head is kept

    def forged_signature(url):
        answer = fetch(url)
        if url.endswith("/ledger"):
            answer["signature"] = "00" * 64
        return answer

    with pytest.raises(watch.LedgerBroken, match="bad signature"):
        watch.watch_once("http://city.test", poll.id, state, forged_signature)

    def shrunk(url):
        answer = fetch(url)
        answer["tree_size"] = 1
        answer["signature"] = LEDGER_KEY.sign(verify.head_message(poll.id, answer)).signature.hex()
        return answer

    with pytest.raises(watch.LedgerBroken, match="shrank"):
        watch.watch_once("http://city.test", poll.id, state, shrunk)


def test_a_proof_reads_only_a_logarithmic_number_of_stored_hashes(api, app):
    """Receipt proofs come from the stored subtrees, never from a rebuilt tree."""
    from sqlalchemy import event

    poll = make_poll()
    receipts = vote_many(api, poll, PICKS)
    close(api, poll)
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = ledger.read_nodes(poll.id, merkle.nodes_for(merkle.inclusion_ranges(2, 5)))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert set(rows) == merkle.nodes_for(merkle.inclusion_ranges(2, 5))
    assert api.get(f"/polls/{poll.id}/receipts/{receipts[0]}").status_code == 200


def test_verify_and_watch_need_nothing_but_the_standard_library():
    code = (
        "import sys, voting.verify, voting.watch; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'sqlalchemy', 'app', 'pydantic', 'werkzeug', 'nacl')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_polls_closed_before_the_tree_are_sealed_once_by_the_operator_command(app, api):
    poll = make_poll(results="live")
    receipts = vote_many(api, poll, PICKS)
    close(api, poll)
    # As migration 0011 leaves a poll closed before it: ballots, but no tree and no head.
    for table in (LedgerLeaf, LedgerNode, LedgerHead):
        db.session.execute(db.delete(table).where(table.poll_id == poll.id))
    db.session.commit()
    assert api.get(f"/polls/{poll.id}/ledger").json["tree_size"] == 0

    run = app.test_cli_runner().invoke(args=["polls", "seal-ledgers"])
    assert run.exit_code == 0, run.output
    assert "sealed 1 poll(s)" in run.output
    head = api.get(f"/polls/{poll.id}/ledger").json
    assert (head["tree_size"], head["participations"]) == (5, 5)
    assert signed_by_the_site(poll.id, head)
    assert api.get(f"/polls/{poll.id}/receipts/{receipts[0]}").json["status"] == "recorded"

    again = app.test_cli_runner().invoke(args=["polls", "seal-ledgers"])
    assert "sealed 0 poll(s)" in again.output
    assert api.get(f"/polls/{poll.id}/ledger").json == head
