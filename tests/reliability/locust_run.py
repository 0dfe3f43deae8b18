"""Run a locust scenario headless in its own process and read back its figures.

Locust patches the standard library with gevent when it is imported, so it never runs in
the pytest process: a subprocess runs `python -m locust --headless` with a time limit, the
plan in a JSON file, and leaves its CSV statistics and the clients' outcome (loadkit) behind.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCUST_DIR = Path(__file__).resolve().parent / "locust"
AGGREGATED = "Aggregated"


@dataclass
class LocustRun:
    """What one run measured: per request name and in total, and what the clients kept."""

    endpoints: dict[str, dict[str, float]]
    total: dict[str, float]
    failures: list[dict[str, Any]]
    outcome: dict[str, Any]
    wall_seconds: float
    cpu_seconds: float  # what locust itself used: it shares the machine with the server

    def accepted(self, name_prefix: str, status: int) -> int:
        """How many answers with `status` came back for request names starting so."""
        return sum(
            int(counts.get(str(status), 0))
            for name, counts in self.outcome["statuses"].items()
            if name.startswith(name_prefix)
        )

    def server_errors(self) -> int:
        return sum(
            int(n)
            for counts in self.outcome["statuses"].values()
            for status, n in counts.items()
            if int(status) >= 500
        )


def run_locust(
    scenario: str,
    host: str,
    *,
    users: int,
    spawn_rate: float,
    run_time: int,
    plan: dict[str, Any],
    workdir: Path,
    stop_timeout: int = 120,
) -> LocustRun:
    """Run `tests/reliability/locust/<scenario>.py` against `host` for `run_time` seconds.

    Users still in a visit when the time is up end it without further writes (loadkit's
    `time_is_up`) and get the answers to requests already sent, within the clients' 60 s
    network timeout: well inside `stop_timeout`, after which locust kills what still runs.
    So every write the server stored was answered to a client or counted as unanswered.
    """
    plan_path = workdir / f"{scenario}_plan.json"
    outcome_path = workdir / f"{scenario}_outcome.json"
    prefix = workdir / scenario
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUST_DIR / f"{scenario}.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{run_time}s",
        "--stop-timeout",
        str(stop_timeout),
        "--host",
        host,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",  # failures are judged by the test, from the statistics
    ]
    environment = {**os.environ, "LOAD_PLAN": str(plan_path), "LOAD_OUTCOME": str(outcome_path)}
    started = time.monotonic()
    cpu_before = _children_cpu()
    finished = subprocess.run(  # noqa: S603 (fixed command line)
        command,
        env=environment,
        capture_output=True,
        text=True,
        timeout=run_time + stop_timeout + 120,
        check=False,
    )
    wall = time.monotonic() - started
    cpu = _children_cpu() - cpu_before
    if finished.returncode != 0 or not outcome_path.exists():
        raise RuntimeError(f"locust failed ({finished.returncode}):\n{finished.stderr[-4000:]}")
    endpoints, total = _read_stats(Path(f"{prefix}_stats.csv"))
    return LocustRun(
        endpoints=endpoints,
        total=total,
        failures=_read_failures(Path(f"{prefix}_failures.csv")),
        outcome=json.loads(outcome_path.read_text(encoding="utf-8")),
        wall_seconds=round(wall, 1),
        cpu_seconds=round(cpu, 1),
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _figures(row: dict[str, str]) -> dict[str, float]:
    def number(key: str) -> float:
        value = row.get(key) or "0"
        return 0.0 if value == "N/A" else float(value)

    return {
        "requests": int(number("Request Count")),
        "failures": int(number("Failure Count")),
        "rps": round(number("Requests/s"), 1),
        "p50_ms": number("50%"),
        "p95_ms": number("95%"),
        "p99_ms": number("99%"),
        "max_ms": round(number("Max Response Time"), 1),
    }


def _read_stats(path: Path) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    endpoints: dict[str, dict[str, float]] = {}
    total: dict[str, float] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == AGGREGATED:
                total = _figures(row)
            else:
                endpoints[row["Name"]] = _figures(row)
    return endpoints, total


def _read_failures(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [
            {"name": row["Name"], "error": row["Error"], "count": int(row["Occurrences"])}
            for row in csv.DictReader(handle)
        ]
