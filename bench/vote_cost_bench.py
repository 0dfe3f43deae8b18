"""Python instructions per API vote, counted by callgrind: the vote path's cost, free of noise.

    python bench/vote_cost_bench.py [--votes 100] [--write]

Votes per second on a shared 2-core machine drift from minute to minute (the same code
measured 200 to 450 votes/s within an hour); instructions counted by valgrind do not. This
creates a throw-away PostgreSQL database (BENCH_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/postgres) with an open poll and verified residents,
then runs itself under `valgrind --tool=callgrind` with counting switched on only while it
sends `--votes` ballots, each with its own bearer token, through the WSGI app in-process:
no gunicorn and no HTTP client, so the figure is the app's own work per vote (the express
lane or Flask, the token check, validation, the ballot, psycopg's side of the two
statements, the receipt).
PostgreSQL's own work is not counted. Compare two versions of the code with it before
trusting a rate.

Figures go to docs/benchmarks.md under «Voting: Python instructions per API vote» (--write).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.voting_bench import log, migrate_and_make_polls, write_section  # noqa: E402
from tools import loopback  # noqa: E402

HEADING = "## Voting: Python instructions per API vote"
WARM_UP = 20


def count_votes(setup: dict) -> None:
    """In the child, under callgrind: warm up, then count `votes` ballots."""
    os.environ.update(
        DATABASE_URL=setup["url"],
        SECRET_KEY="vote-cost",  # noqa: S106 (a throw-away database's app)
        ADDRESS_HASH_KEY="vote-cost-hash",
        RATELIMIT_ENABLED="false",
        LOG_LEVEL="WARNING",
    )
    from werkzeug.test import EnvironBuilder

    from wsgi import app

    poll = setup["poll"]
    body = json.dumps(
        {"answers": [{"question_id": poll["question"], "option_ids": poll["options"][:2]}]}
    )
    environs = [
        EnvironBuilder(
            path=f"/api/v1/polls/{poll['id']}/votes",
            method="POST",
            data=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        ).get_environ()
        for token in setup["tokens"]
    ]
    statuses: list[str] = []

    def start_response(status: str, _headers: list, _exc_info: object = None) -> None:
        statuses.append(status)

    def vote(environ: dict) -> None:
        b"".join(app(environ, start_response))

    for environ in environs[:WARM_UP]:
        vote(environ)
    switch = ["callgrind_control", "--instr"]
    subprocess.run([*switch, "on", str(os.getpid())], check=True, capture_output=True)  # noqa: S603
    for environ in environs[WARM_UP:]:
        vote(environ)
    subprocess.run([*switch, "off", str(os.getpid())], check=True, capture_output=True)  # noqa: S603
    refused = [s for s in statuses if not s.startswith("201")]
    if refused:
        raise SystemExit(f"{len(refused)} votes refused: {sorted(set(refused))}")


def measure(url: str, poll: dict, tokens: list[str]) -> int:
    """Instructions per vote: this script again, under callgrind, in `count_votes`."""
    with tempfile.TemporaryDirectory() as tmp:
        setup = Path(tmp) / "setup.json"
        setup.write_text(json.dumps({"url": url, "poll": poll, "tokens": tokens}))
        run = subprocess.run(  # noqa: S603 (fixed command line)
            [  # noqa: S607 (valgrind is found on PATH)
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={tmp}/callgrind.out",
                sys.executable,
                __file__,
                "--child",
                str(setup),
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
    collected = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or collected is None:
        raise RuntimeError(run.stdout + run.stderr[-3000:])
    return int(collected.group(1)) // (len(tokens) - WARM_UP)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--votes", type=int, default=100)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        count_votes(json.loads(Path(args.child).read_text()))
        return 0
    if not shutil.which("valgrind"):
        log("needs valgrind (apt-get install valgrind); skipped")
        return 0
    admin = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = loopback.create_database(admin, prefix="bench_vote_cost")
    sa_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    per_vote = []
    try:
        names = [f"run{n}" for n in range(args.runs)]
        polls = migrate_and_make_polls(sa_url, names)
        count = WARM_UP + args.votes
        tokens, _first = loopback.add_verified_residents(url, count, with_tokens=count)
        for name in names:  # each run in a poll of its own: every token votes once per poll
            started = time.monotonic()
            per_vote.append(measure(sa_url, polls[name], tokens))
            seconds = time.monotonic() - started
            log(f"{name}: {per_vote[-1]:,} instructions per vote ({seconds:.0f} s)")
    finally:
        loopback.drop_database(admin, url)
    section = (
        f"""{HEADING}

`python bench/vote_cost_bench.py` (run by `make bench`): POST /api/v1/polls/{{id}}/votes
called in-process through the WSGI app against PostgreSQL, each with its own bearer token,
under `valgrind --tool=callgrind`, counting only while {args.votes} votes are cast (after
{WARM_UP} to warm up). It counts the app's own work: the express lane (`voting/express.py`,
which a bearer vote takes), the token check, validation, the ballot and its hashes,
psycopg's side of the two statements and the receipt; not gunicorn, not PostgreSQL. Unlike
a rate on this shared machine it repeats to within a fraction of a per cent, so it is the
figure to compare two versions of the vote path by.

| run | instructions per vote |
|---|---|
"""
        + "\n".join(f"| {n + 1} | {value:,} |" for n, value in enumerate(per_vote))
        + f"""

Run on {time.strftime("%Y-%m-%d")} ({sys.version.split()[0]}). For scale: 3.87 M before the
token check left the ORM and the vote left the ORM session (2026-11-22), 2.97 M after;
2.55 M once Flask-Talisman gave way to headers rendered once, 2.48 M with the body check's
decoder made once, 2.10 M with both statements sent straight to psycopg's cursor, 2.04 M
without the session cookie's idle work, 1.18 M through the express lane that casts a
bearer vote without Flask's request machinery (`voting/express.py`; all 2026-12-04).
"""
    )
    print(section)
    if args.write:
        write_section(section, HEADING)
        log("written to docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
