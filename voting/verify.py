"""Check a closed poll's published ballots yourself: recount, recompute the ledger root,
and check that a receipt's ballot is in it.

    python -m voting.verify ballots.json [--receipt R] [--results results.json]

`ballots.json` is what `GET /api/v1/polls/{id}/ballots` returns. This file uses only the
standard library and imports nothing else from the project, so it can be copied and run on
its own; the server builds its ledger with these same functions.

The ledger is a Merkle tree. A ballot's leaf is SHA-256(0x00 || canonical JSON of the
ballot); canonical JSON has sorted keys, no spaces, UTF-8. Leaves are sorted by their hash
(so the tree does not reveal the order of voting); a node is SHA-256(0x01 || left || right)
over the raw 32-byte digests; an odd node at the end of a level moves up unchanged. The
root of an empty ledger is SHA-256 of nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def canonical(ballot: dict[str, Any]) -> bytes:
    """The exact bytes that are hashed for a ballot."""
    return json.dumps(ballot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def leaf_hash(ballot: dict[str, Any]) -> str:
    return hashlib.sha256(LEAF_PREFIX + canonical(ballot)).hexdigest()


def receipt_hash(receipt: str) -> str:
    """What a ballot stores of its receipt: the receipt itself is only ever shown to its voter."""
    return hashlib.sha256(receipt.strip().upper().encode("utf-8")).hexdigest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _levels(leaves: Sequence[str]) -> list[list[bytes]]:
    level = [bytes.fromhex(h) for h in sorted(leaves)]
    levels = [level]
    while len(level) > 1:
        nxt = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        levels.append(nxt)
        level = nxt
    return levels


def merkle_root(leaves: Iterable[str]) -> str:
    """The root over these leaf hashes (in any order: they are sorted first)."""
    items = list(leaves)
    if not items:
        return EMPTY_ROOT
    return _levels(items)[-1][0].hex()


def merkle_proof(leaves: Iterable[str], leaf: str) -> list[dict[str, str]]:
    """The sibling hashes from `leaf` up to the root; ValueError if `leaf` is not there."""
    levels = _levels(list(leaves))
    index = _bisect(levels[0], bytes.fromhex(leaf))
    proof: list[dict[str, str]] = []
    for level in levels[:-1]:
        if index % 2 == 1:
            proof.append({"side": "left", "hash": level[index - 1].hex()})
        elif index + 1 < len(level):
            proof.append({"side": "right", "hash": level[index + 1].hex()})
        index //= 2
    return proof


def _bisect(sorted_leaves: list[bytes], leaf: bytes) -> int:
    lo, hi = 0, len(sorted_leaves)
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_leaves[mid] < leaf:
            lo = mid + 1
        else:
            hi = mid
    if lo == len(sorted_leaves) or sorted_leaves[lo] != leaf:
        raise ValueError("leaf is not in the ledger")
    return lo


def root_from_proof(leaf: str, proof: Iterable[dict[str, str]]) -> str:
    """Walk a proof up from a leaf; the result must equal the published root."""
    digest = bytes.fromhex(leaf)
    for step in proof:
        sibling = bytes.fromhex(step["hash"])
        if step["side"] == "left":
            digest = _node(sibling, digest)
        elif step["side"] == "right":
            digest = _node(digest, sibling)
        else:
            raise ValueError(f"unknown side {step['side']!r}")
    return digest.hex()


def tally(ballots: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Votes per option (and per okrug) and the number of ballots, from the ballots alone."""
    options: Counter[str] = Counter()
    by_okrug: dict[str, Counter[str]] = {}
    count = 0
    for ballot in ballots:
        count += 1
        okrug = ballot.get("okrug") or "—"
        for answer in ballot.get("answers", []):
            for option_id in answer.get("option_ids", []):
                options[str(option_id)] += 1
                by_okrug.setdefault(okrug, Counter())[str(option_id)] += 1
    return {
        "ballots": count,
        "options": dict(sorted(options.items(), key=lambda kv: int(kv[0]))),
        "by_okrug": {k: dict(v) for k, v in sorted(by_okrug.items())},
    }


def verify(document: dict[str, Any], receipt: str | None = None) -> dict[str, Any]:
    """Everything the script checks, as a report; `ok` is true only if every check passed."""
    ballots = document.get("ballots", [])
    leaves = [leaf_hash(b) for b in ballots]
    root = merkle_root(leaves)
    report: dict[str, Any] = {
        "poll_id": document.get("poll_id"),
        "computed_root": root,
        "published_root": document.get("ledger_root"),
        "root_matches": root == document.get("ledger_root"),
        "unique_ballots": len({b.get("id") for b in ballots}) == len(ballots)
        and len({b.get("receipt_hash") for b in ballots}) == len(ballots),
        "tally": tally(ballots),
    }
    ok = report["root_matches"] and report["unique_ballots"]
    if receipt is not None:
        wanted = receipt_hash(receipt)
        mine = next((b for b in ballots if b.get("receipt_hash") == wanted), None)
        if mine is None:
            report["receipt"] = {"found": False}
            ok = False
        else:
            leaf = leaf_hash(mine)
            proof = merkle_proof(leaves, leaf)
            included = root_from_proof(leaf, proof) == document.get("ledger_root")
            report["receipt"] = {"found": True, "included": included, "ballot": mine}
            ok = ok and included
    report["ok"] = ok
    return report


def compare_results(report: dict[str, Any], results: dict[str, Any]) -> list[str]:
    """Differences between our recount and the server's `GET /polls/{id}/results`."""
    ours = report["tally"]["options"]
    problems = []
    if results.get("ballots") != report["tally"]["ballots"]:
        problems.append(
            f"ballots: server {results.get('ballots')}, recount {report['tally']['ballots']}"
        )
    for question in results.get("questions", []):
        for option in question.get("options", []):
            mine = ours.get(str(option["id"]), 0)
            if option["votes"] != mine:
                problems.append(f"option {option['id']}: server {option['votes']}, recount {mine}")
    if results.get("ledger_root") not in (None, report["computed_root"]):
        problems.append("the results name another ledger root")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m voting.verify", description=__doc__.split("\n")[0]
    )
    parser.add_argument("ballots", help="ballots.json from GET /api/v1/polls/{id}/ballots")
    parser.add_argument("--receipt", help="your receipt, to check that your ballot is included")
    parser.add_argument("--results", help="results.json from GET /api/v1/polls/{id}/results")
    args = parser.parse_args(argv)
    with open(args.ballots, encoding="utf-8") as handle:
        document = json.load(handle)
    report = verify(document, args.receipt)
    if args.results:
        with open(args.results, encoding="utf-8") as handle:
            differences = compare_results(report, json.load(handle))
        report["results_match"] = not differences
        report["results_differences"] = differences
        report["ok"] = report["ok"] and not differences
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
