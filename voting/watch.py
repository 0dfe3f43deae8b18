"""Watch a poll's ledger while it runs: save every new signed tree head and check that it
extends the one saved before it, so that a ledger rewritten behind the observers' backs is
caught the moment it is published.

    python -m voting.watch URL POLL [--state heads.json] [--interval SECONDS] [--once]

URL is the site (`https://example.org`); each round reads `GET /api/v1/polls/POLL/ledger`,
checks the head's signature, asks for the RFC 9162 consistency proof from the last saved head
(`/ledger/consistency?first=M&second=N`) and checks it, then saves the head with its proof.
The saved file is what `python -m voting.verify ballots.json --heads heads.json` checks
against the final ledger. Standard library only (urllib), besides PyNaCl for Ed25519.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voting.verify import head_signature_valid, heads_consistent

Fetch = Callable[[str], Any]


class LedgerBroken(Exception):
    """The server published a head that is not a continuation of what observers saw."""


def fetch_json(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 (the observer's own URL)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.load(response)


def watch_once(
    base_url: str, poll_id: int, state: dict[str, Any], fetch: Fetch = fetch_json
) -> bool:
    """Read the current head, check it against the last saved one and save it; True if it
    was new. Raises `LedgerBroken` (and saves nothing) if it does not check."""
    api = f"{base_url.rstrip('/')}/api/v1/polls/{poll_id}"
    head = fetch(f"{api}/ledger")
    heads: list[dict[str, Any]] = state.setdefault("heads", [])
    state.setdefault("poll_id", poll_id)
    state.setdefault("source", base_url)
    last = heads[-1] if heads else None
    key = last["public_key"] if last else head.get("public_key", "")
    if head.get("public_key") != key:
        raise LedgerBroken("the head is signed with another key than the heads before it")
    if not head_signature_valid(poll_id, head, key):
        raise LedgerBroken(f"bad signature on the head of size {head.get('tree_size')}")
    if last is not None and all(head[k] == last[k] for k in ("tree_size", "root", "timestamp")):
        return False
    proof: list[str] = []
    if last is not None:
        if head["tree_size"] < last["tree_size"]:
            raise LedgerBroken(
                f"the tree shrank from {last['tree_size']} to {head['tree_size']} leaves"
            )
        if 0 < last["tree_size"] < head["tree_size"]:
            query = urllib.parse.urlencode(
                {"first": last["tree_size"], "second": head["tree_size"]}
            )
            proof = fetch(f"{api}/ledger/consistency?{query}")["proof"]
        if not heads_consistent(last, head, proof):
            raise LedgerBroken(
                f"the tree of {head['tree_size']} does not extend the tree of {last['tree_size']}"
            )
    heads.append({**head, "consistency": proof})
    return True


def main(argv: list[str] | None = None, fetch: Fetch = fetch_json) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m voting.watch", description=__doc__.split("\n")[0]
    )
    parser.add_argument("url", help="the site, e.g. https://example.org")
    parser.add_argument("poll", type=int, help="the poll's id")
    parser.add_argument("--state", help="where the heads are kept (default poll-POLL-heads.json)")
    parser.add_argument("--interval", type=float, default=60, help="seconds between reads")
    parser.add_argument("--once", action="store_true", help="read once and stop")
    args = parser.parse_args(argv)
    path = Path(args.state or f"poll-{args.poll}-heads.json")
    state = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    while True:
        try:
            if watch_once(args.url, args.poll, state, fetch):
                path.write_text(json.dumps(state, indent=1), encoding="utf-8")
                last = state["heads"][-1]
                print(f"head: {last['tree_size']} leaves, root {last['root']}")
        except LedgerBroken as broken:
            print(f"LEDGER BROKEN: {broken}", file=sys.stderr)
            return 1
        if args.once:
            return 0
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
