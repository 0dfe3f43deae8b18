"""Ideas: p50/p95 of the project list, idea list, search and similar-ideas endpoints.

For each size (5,500 ideas like «Мой офис госуслуг», and 100,000) a fresh database is
migrated and filled by the demo generator, then each endpoint is called in-process through
the Flask test client (application, ORM and database time; no network). Runs on a temporary
SQLite file, and on PostgreSQL when it is reachable. Writes the section
«## Ideas: list, search and similar» of docs/benchmarks.md.

    python bench/ideas_bench.py [--sizes 5500,100000] [--requests 40] [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

SECTION = "## Ideas: list, search and similar"
HEADER = "# Benchmarks\n\nMachine: 2 cores / 24 GiB. Date: 2026-11-21.\n"
SEARCHES = ["очередь", "парковки", "детский уголок", "вежливость сотрудников", "ёлка", "пандусом"]
SIMILAR = [
    "хочу чтобы приходило смс когда подходит моя очередь",
    "сделайте бесплатную парковку для посетителей",
    "нужен детский уголок с игрушками",
    "продлить работу центра до десяти вечера",
    "пандус для инвалидных колясок у входа",
    "бесплатный вай-фай в зале ожидания",
]
CONFIG = {
    "TESTING": False,
    "SECRET_KEY": "bench",
    "ADDRESS_HASH_KEY": "bench-hash",
    "JOBS_EAGER": True,
    "REDIS_URL": None,
    "RATELIMIT_ENABLED": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "SMTP_HOST": None,
    "LOG_LEVEL": "WARNING",
}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(client: Any, paths: list[str], requests: int) -> list[float]:
    samples = []
    for n in range(requests):
        path = paths[n % len(paths)]
        start = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.get_data()[:200]!r}")
    return samples


def run_one(url: str, size: int, requests: int) -> dict[str, Any]:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from ideas import text_index
    from ideas.demo.generator import DemoSize, build_demo_project

    app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    results: dict[str, Any] = {"ideas": size}
    with app.app_context():
        upgrade()
        scale = DemoSize(
            ideas=size,
            residents=6000 if size <= 10_000 else 20_000,
            supports_per_idea=7.0 if size <= 10_000 else 3.0,
            comments_per_idea=1.3 if size <= 10_000 else 0.5,
            seed=size,
        )
        start = time.perf_counter()
        project_id = build_demo_project(scale, lambda f, m: None)
        db.session.commit()
        results["fill_s"] = time.perf_counter() - start
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()
        db.session.remove()
        text_index.forget_all()
    client = app.test_client()
    base = f"/api/v1/projects/{project_id}"
    start = time.perf_counter()
    client.get(f"{base}/ideas/similar?text=очередь")  # builds the project's similarity index
    results["similar_index_build_s"] = time.perf_counter() - start
    cases: dict[str, Callable[[], list[float]]] = {
        "project list": lambda: timed(client, ["/api/v1/projects"], requests),
        "idea list (new, top, discussed; pages 1–5)": lambda: timed(
            client,
            [
                f"{base}/ideas?sort={sort}&page={page}"
                for sort in ("new", "top", "discussed")
                for page in range(1, 6)
            ],
            requests,
        ),
        "search (q, morphology)": lambda: timed(
            client, [f"{base}/ideas?q={q}" for q in SEARCHES], requests
        ),
        "similar ideas (limit 5)": lambda: timed(
            client, [f"{base}/ideas/similar?text={t}&limit=5" for t in SIMILAR], requests
        ),
    }
    for name, run in cases.items():
        run()  # warm caches
        results[name] = percentiles(run())
    with app.app_context():
        db.engine.dispose()
    return results


def sqlite_run(size: int, requests: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        return run_one(f"sqlite:///{tmp}/bench.db", size, requests)


def postgres_run(admin_url: str, size: int, requests: int) -> dict[str, Any] | None:
    admin = make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"bench_ideas_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL not reachable, skipped: {exc}", file=sys.stderr)
        return None
    try:
        url = admin.set(database=name).render_as_string(hide_password=False)
        return run_one(url, size, requests)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def render(rows: list[tuple[str, dict[str, Any]]], requests: int) -> str:
    lines = [
        SECTION,
        "",
        f"`python bench/ideas_bench.py` ({date.today().isoformat()}): a fresh database per size,",
        "filled by the demo generator (`ideas/demo`); each endpoint is called "
        f"{requests} times in-process",
        "through the Flask test client after one warm-up round, so the figures are application,",
        "ORM and database time without the network. Milliseconds, p50 / p95.",
        "",
        "| database | ideas | fill | index build | project list | idea list | search | similar |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    keys = [
        "project list",
        "idea list (new, top, discussed; pages 1–5)",
        "search (q, morphology)",
        "similar ideas (limit 5)",
    ]
    for database, result in rows:
        cells = " | ".join(f"{result[k][0]:.0f} / {result[k][1]:.0f}" for k in keys)
        lines.append(
            f"| {database} | {result['ideas']:,} | {result['fill_s']:.0f} s | "
            f"{result['similar_index_build_s']:.1f} s | {cells} |"
        )
    lines += [
        "",
        "Idea list: sorts new, top and discussed, pages 1–5.",
        "Search: " + ", ".join(f"«{q}»" for q in SEARCHES) + ".",
        "Similar: six phrasings of common proposals.",
        "Index build: the first similar-ideas query of a project in a process builds its index",
        "from the stored normalized texts; later queries only check a signature and add new ideas.",
        "The machine is shared with other work, so single figures can wander by tens of per cent.",
        "",
    ]
    return "\n".join(lines)


def write_section(section: str) -> Path:
    path = REPO / "docs" / "benchmarks.md"
    content = path.read_text("utf-8") if path.exists() else HEADER
    if SECTION in content:
        before, rest = content.split(SECTION, 1)
        after = rest.split("\n## ", 1)
        tail = "\n## " + after[1] if len(after) > 1 else ""
        content = before + section + tail
    else:
        content = content.rstrip("\n") + "\n\n" + section
    path.write_text(content, "utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5500,100000")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch docs/")
    args = parser.parse_args()
    rows: list[tuple[str, dict[str, Any]]] = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        result = sqlite_run(size, args.requests)
        print("SQLite", result, flush=True)
        rows.append(("SQLite", result))
        if not args.no_postgres:
            pg = postgres_run(args.postgres, size, args.requests)
            if pg is not None:
                print("PostgreSQL", pg, flush=True)
                rows.append(("PostgreSQL 15", pg))
    section = render(rows, args.requests)
    print(section)
    if not args.no_write:
        print(f"written to {write_section(section)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
