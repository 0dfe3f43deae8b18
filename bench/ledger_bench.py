"""The ledger at scale: closing a poll of N ballots (one shuffled batch, stored subtrees,
a signed head) and the answers that must not grow with it (receipt proofs, pages of 1,000
leaves, consistency proofs, the head), on PostgreSQL.

    python bench/ledger_bench.py [--ballots 1000000] [--reads 200]

Creates a throw-away database next to BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), copies N ballots in, closes the poll
through `voting.services.close_poll`, then times each read through the services and
through the Flask test client (no gunicorn). Prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "ledger_bench"


def timed(read: Callable[[], object], reads: int, after: Callable[[], None]) -> dict[str, float]:
    times = []
    for _ in range(reads):
        start = time.perf_counter()
        read()
        times.append((time.perf_counter() - start) * 1000)
        after()
    times.sort()
    return {
        "p95_ms": round(times[int(len(times) * 0.95)], 1),
        "median_ms": round(statistics.median(times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    n = args.ballots
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from voting import ledger, services
    from voting.models import Poll, PollStatus
    from voting.verify import canonical, leaf_hash, receipt_hash

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "ADDRESS_HASH_KEY": "bench-address",
            "LEDGER_SIGNING_KEY": "be" * 32,
            "SQLALCHEMY_DATABASE_URI": url,
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": None,
        }
    )
    figures: dict[str, object] = {"ballots": n}
    with app.app_context():
        upgrade()
        poll = Poll(title="bench", status=PollStatus.OPEN)
        db.session.add(poll)
        db.session.commit()
        poll_id = poll.id
        receipts = []
        hour = datetime(2026, 12, 1, 10, tzinfo=UTC)
        raw = db.engine.raw_connection()
        columns = "id, poll_id, receipt_hash, okrug, cast_hour, content, leaf_hash"
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY poll_ballots ({columns}) FROM STDIN") as copy,
        ):
            for i in range(n):
                ballot_id = secrets.token_hex(16)
                digits = f"{i:032X}"
                receipt = "-".join(digits[j : j + 4] for j in range(0, 32, 4))
                if i % max(1, n // 200) == 0:
                    receipts.append(receipt)
                ballot = {
                    "id": ballot_id,
                    "poll_id": poll_id,
                    "okrug": "cao",
                    "hour": hour.isoformat(),
                    "receipt_hash": receipt_hash(receipt),
                    "answers": [{"question_id": 1, "option_ids": [1 + i % 3]}],
                }
                content = canonical(ballot).decode()
                digest = leaf_hash(ballot)
                copy.write_row(
                    (ballot_id, poll_id, ballot["receipt_hash"], "cao", hour, content, digest)
                )
        raw.commit()
        raw.close()
        start = time.perf_counter()
        services.close_poll(db.session.get(Poll, poll_id))
        db.session.commit()
        figures["close_seconds"] = round(time.perf_counter() - start, 1)
        poll = db.session.get(Poll, poll_id)
        after = db.session.rollback
        page = max(1, n - 1000)
        figures["service"] = {
            "receipt": timed(
                lambda: ledger.get_receipt_status(poll, random.choice(receipts)), args.reads, after
            ),
            "leaves_1000": timed(
                lambda: (lambda s: ledger.get_leaves(poll, s, min(n, s + 1000)))(
                    random.randrange(page)
                ),
                args.reads,
                after,
            ),
            "consistency": timed(
                lambda: ledger.get_consistency(poll, random.randrange(1, n + 1), n),
                args.reads,
                after,
            ),
            "head": timed(lambda: ledger.get_head(poll), args.reads, after),
        }
        client = app.test_client()

        def get(path: str) -> None:
            assert client.get(f"/api/v1/polls/{poll_id}{path}").status_code == 200

        def leaves() -> None:
            start = random.randrange(page)
            get(f"/ledger/leaves?start={start}&end={min(n, start + 1000)}")

        figures["http"] = {
            "receipt": timed(
                lambda: get(f"/receipts/{random.choice(receipts)}"), args.reads, after
            ),
            "leaves_1000": timed(leaves, args.reads, after),
        }
        db.engine.dispose()
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
