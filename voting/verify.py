"""Check a poll's ledger yourself: recount its ballots, recompute the tree, check the signed
tree heads an observer saved (`python -m voting.watch`) against each other and against the
final ledger, and check that a receipt's ballot is in it.

    python -m voting.verify [ballots.json] [--heads heads.json] [--receipt R]
                            [--results results.json]

`ballots.json` is what `GET /api/v1/polls/{id}/ballots` returns: the final signed tree head
and every ballot in tree order. The ledger is an RFC 9162 (Certificate Transparency 2.0)
Merkle tree (voting/merkle.py): a ballot's leaf is SHA-256(0x00 || canonical JSON of the
ballot: sorted keys, no spaces, UTF-8), a node SHA-256(0x01 || left || right), split at the
largest power of two below the number of leaves. A head is signed with Ed25519 over the
canonical JSON of {participations, poll_id, root, timestamp, tree_size}.

Standard library only, besides PyNaCl for the Ed25519 check (the standard library has
none): copy this file with voting/merkle.py (and voting/watch.py) into a folder named
`voting` and run it anywhere. The server builds its ledger with these same functions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from voting import merkle

EMPTY_ROOT = merkle.EMPTY_ROOT.hex()
# The fields of a tree head that its signature covers, besides the poll's id.
SIGNED_FIELDS = ("tree_size", "root", "participations", "timestamp")
RECEIPT_DIGITS = frozenset("0123456789ABCDEF")


def canonical(ballot: dict[str, Any]) -> bytes:
    """The exact bytes that are hashed for a ballot."""
    return json.dumps(ballot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def leaf_hash(ballot: dict[str, Any]) -> str:
    return merkle.hash_leaf(canonical(ballot)).hex()


def normalize_receipt(receipt: str) -> str | None:
    """A receipt as it was shown (32 hex digits in groups of four joined by dashes), however
    it was typed (case, dashes, spaces); None if it cannot be a receipt."""
    raw = "".join(c for c in receipt.upper() if c not in "- \t\r\n")
    if len(raw) != 32 or not set(raw) <= RECEIPT_DIGITS:
        return None
    return "-".join(raw[i : i + 4] for i in range(0, 32, 4))


def receipt_hash(receipt: str) -> str:
    """What a ballot stores of its receipt: the receipt itself is only ever shown to its voter."""
    shown = normalize_receipt(receipt) or receipt.strip().upper()
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()


def merkle_root(leaves: Iterable[str]) -> str:
    """The RFC 9162 root over these leaf hashes (hex), in the order given."""
    return merkle.MemoryTree(bytes.fromhex(h) for h in leaves).root().hex()


def receipt_included(status: dict[str, Any], head: dict[str, Any]) -> bool:
    """Whether a `recorded` receipt status (`ballot`, `leaf_index`, `tree_size`, `proof`, as
    the API and the check page give it) proves its ballot is a leaf of the tree `head` names:
    the ballot's own bytes, its place and the proof lead to the head's root."""
    try:
        return status["tree_size"] == head["tree_size"] and merkle.verify_inclusion(
            merkle.hash_leaf(canonical(status["ballot"])),
            status["leaf_index"],
            status["tree_size"],
            merkle.unhex(status["proof"]),
            bytes.fromhex(head["root"]),
        )
    except (KeyError, ValueError, TypeError):
        return False


def head_message(poll_id: int, head: dict[str, Any]) -> bytes:
    """The bytes a tree head's signature covers."""
    signed = {name: head[name] for name in SIGNED_FIELDS}
    signed["poll_id"] = poll_id
    return json.dumps(signed, sort_keys=True, separators=(",", ":")).encode("utf-8")


def head_signature_valid(poll_id: int, head: dict[str, Any], public_key: str) -> bool:
    """Whether `head` is signed by `public_key` (hex) for this poll."""
    # PyNaCl, imported here: the one module beyond the standard library, only to check heads.
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    try:
        VerifyKey(bytes.fromhex(public_key)).verify(
            head_message(poll_id, head), bytes.fromhex(head["signature"])
        )
    except (BadSignatureError, ValueError, KeyError, TypeError):
        return False
    return True


def heads_consistent(older: dict[str, Any], newer: dict[str, Any], proof: Sequence[str]) -> bool:
    """Whether `newer`'s tree extends `older`'s, by the RFC 9162 consistency proof."""
    try:
        return merkle.verify_consistency(
            older["tree_size"],
            newer["tree_size"],
            bytes.fromhex(older["root"]),
            bytes.fromhex(newer["root"]),
            merkle.unhex(proof),
        )
    except (ValueError, TypeError, KeyError):
        return False


def check_heads(
    poll_id: int, heads: Sequence[dict[str, Any]], tree: merkle.MemoryTree | None = None
) -> list[str]:
    """Problems in a saved series of heads: a bad signature, a changed key, a tree that does
    not extend the one before (each head keeps the consistency proof from the one before it,
    as `python -m voting.watch` saves it), and, given the final tree, a root it never had."""
    problems = []
    key = heads[0].get("public_key", "") if heads else ""
    for i, head in enumerate(heads):
        name = f"head {i} (size {head.get('tree_size')})"
        if head.get("public_key") != key:
            problems.append(f"{name}: signed with another key")
        if not head_signature_valid(poll_id, head, key):
            problems.append(f"{name}: bad signature")
        if i and not heads_consistent(heads[i - 1], head, head.get("consistency", [])):
            problems.append(f"{name}: does not extend the head before it")
        if tree is not None:
            size = head.get("tree_size", -1)
            if not 0 <= size <= tree.size or tree.root(size).hex() != head.get("root"):
                problems.append(f"{name}: not a state of the published ledger")
    return problems


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


def verify(
    document: dict[str, Any],
    receipt: str | None = None,
    heads: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything the script checks of `ballots.json`, as a report; `ok` is true only if
    every check passed."""
    ballots = document.get("ballots", [])
    tree = merkle.MemoryTree(merkle.hash_leaf(canonical(b)) for b in ballots)
    root = tree.root().hex()
    poll_id = document.get("poll_id")
    report: dict[str, Any] = {
        "poll_id": poll_id,
        "computed_root": root,
        "published_root": document.get("ledger_root"),
        "root_matches": root == document.get("ledger_root"),
        "unique_ballots": len({b.get("id") for b in ballots}) == len(ballots)
        and len({b.get("receipt_hash") for b in ballots}) == len(ballots),
        "tally": tally(ballots),
    }
    ok = report["root_matches"] and report["unique_ballots"]
    final = document.get("tree_head")
    if final is not None:
        report["head_signed"] = head_signature_valid(poll_id, final, final.get("public_key", ""))
        report["head_matches"] = final.get("root") == root and final.get("tree_size") == len(
            ballots
        )
        # Every participation's ballot is a leaf, and no leaf is without a participation.
        report["leaves_equal_participations"] = final.get("participations") == len(ballots)
        ok = ok and report["head_signed"] and report["head_matches"]
        ok = ok and report["leaves_equal_participations"]
    if heads is not None:
        report["heads_problems"] = check_heads(poll_id, heads, tree)
        if final is not None and heads and heads[0].get("public_key") != final.get("public_key"):
            report["heads_problems"].append("the saved heads are signed with another key")
        ok = ok and not report["heads_problems"]
    if receipt is not None:
        wanted = receipt_hash(receipt)
        index = next((i for i, b in enumerate(ballots) if b.get("receipt_hash") == wanted), None)
        if index is None:
            report["receipt"] = {"found": False}
            ok = False
        else:
            status = {
                "ballot": ballots[index],
                "leaf_index": index,
                "tree_size": tree.size,
                "proof": merkle.hexes(tree.inclusion_proof(index)),
            }
            included = receipt_included(
                status, {"tree_size": tree.size, "root": document.get("ledger_root") or ""}
            )
            report["receipt"] = {
                "found": True,
                "included": included,
                "leaf_index": index,
                "ballot": ballots[index],
            }
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
    parser.add_argument(
        "ballots", nargs="?", help="ballots.json from GET /api/v1/polls/{id}/ballots"
    )
    parser.add_argument("--heads", help="the heads saved by python -m voting.watch")
    parser.add_argument("--receipt", help="your receipt, to check that your ballot is included")
    parser.add_argument("--results", help="results.json from GET /api/v1/polls/{id}/results")
    args = parser.parse_args(argv)
    if not args.ballots and not args.heads:
        parser.error("give ballots.json, --heads, or both")
    saved = _load(args.heads) if args.heads else None
    if args.ballots:
        report = verify(_load(args.ballots), args.receipt, saved["heads"] if saved else None)
    else:
        problems = check_heads(saved["poll_id"], saved["heads"])  # type: ignore[index]
        report = {"heads_problems": problems, "ok": not problems}
    if args.results and args.ballots:
        differences = compare_results(report, _load(args.results))
        report["results_match"] = not differences
        report["results_differences"] = differences
        report["ok"] = report["ok"] and not differences
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0 if report["ok"] else 1


def _load(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


if __name__ == "__main__":
    sys.exit(main())
