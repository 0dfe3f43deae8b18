"""What the load tests share: the load shape, the served app, driving it and its figures."""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.reliability.locust_run import LocustRun, run_locust
from tools import loopback

# Unexpected answers tolerated (a timeout of an overloaded machine); never a 5xx.
MAX_FAILURE_RATE = 0.001
WORKERS, THREADS = 4, 4
# Seconds gunicorn keeps an idle connection: longer than a resident stays idle, as a proxy
# in front would. With gunicorn's 2 s a request on a connection idle for longer races the
# server closing it and fails with «connection closed» (see the report of issue #8).
KEEPALIVE = 75


@dataclass(frozen=True)
class Load:
    users: int  # concurrent simulated users, each a stream of residents' visits
    spawn_rate: float
    run_time: int  # seconds, spawning included
    residents: int  # seeded residents; each visits at most once
    between_residents: tuple[float, float]  # a user's pause before the next visit
    reading: tuple[float, float]  # seconds a resident reads before acting


@contextlib.contextmanager
def timed(phases: dict[str, float], name: str) -> Iterator[None]:
    """Add the wall seconds of the block to `phases[name]` (where a test's time goes)."""
    started = time.monotonic()
    try:
        yield
    finally:
        phases[name] = round(phases.get(name, 0) + time.monotonic() - started, 1)


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def http(base: str, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    request = urllib.request.Request(  # noqa: S310 (loopback URL we built)
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read())


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds the processes have used so far (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@dataclass
class Served:
    """gunicorn serving the module's database, with its log."""

    url: str
    server: loopback.Gunicorn
    log: Path
    start_s: float

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def log_problems(self, since: int) -> dict[str, int]:
        """Tracebacks and worker timeouts gunicorn logged after byte `since`."""
        with self.log.open("rb") as handle:
            handle.seek(since)
            text = handle.read().decode("utf-8", "replace")
        return {"tracebacks": text.count("Traceback"), "worker_timeouts": text.count("TIMEOUT")}


def serve(url: str, log: Path) -> Served:
    """gunicorn as production runs it (gthread workers), logging to `log`."""
    started = time.monotonic()
    server = loopback.start_gunicorn(
        url, workers=WORKERS, threads=THREADS, keepalive=KEEPALIVE, log_path=log, ready_seconds=180
    )
    return Served(url, server, log, round(time.monotonic() - started, 1))


@dataclass
class Driven:
    run: LocustRun
    server_cpu: float  # CPU seconds gunicorn's workers spent during the run
    log_problems: dict[str, int]


def drive(served: Served, scenario: str, load: Load, plan: dict, workdir: Path) -> Driven:
    workers = served.server.worker_pids()
    before, log_at = cpu_seconds(workers), served.log_size()
    run = run_locust(
        scenario,
        served.server.base_url,
        users=load.users,
        spawn_rate=load.spawn_rate,
        run_time=load.run_time,
        plan=plan,
        workdir=workdir,
    )
    return Driven(run, cpu_seconds(workers) - before, served.log_problems(log_at))


def figures_of(driven: Driven, load: Load) -> dict[str, Any]:
    run, server_cpu = driven.run, driven.server_cpu
    total = run.total
    return {
        "users": load.users,
        "spawn_rate": load.spawn_rate,
        "duration_s": load.run_time,
        "wall_s": run.wall_seconds,
        "residents_seeded": load.residents,
        "gunicorn": {
            "workers": WORKERS,
            "threads": THREADS,
            "worker_class": "gthread",
            "keepalive_s": KEEPALIVE,
        },
        "server_cpu_s": round(server_cpu, 1),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, total["requests"]), 1),
        "locust_cpu_s": run.cpu_seconds,
        "requests": total["requests"],
        "rps": total["rps"],
        "p50_ms": total["p50_ms"],
        "p99_ms": total["p99_ms"],
        "failure_rate": round(total["failures"] / max(1, total["requests"]), 5),
        "server_errors_5xx": run.server_errors(),
        "endpoints": run.endpoints,
        "failures_by_kind": run.failures,
        "statuses": run.outcome["statuses"],
        "gunicorn_log": driven.log_problems,
    }


def assert_no_unexpected_failures(driven: Driven) -> None:
    run = driven.run
    assert run.server_errors() == 0, run.failures
    assert driven.log_problems == {"tracebacks": 0, "worker_timeouts": 0}
    assert run.total["requests"] > 0
    assert run.total["failures"] <= MAX_FAILURE_RATE * run.total["requests"], run.failures
