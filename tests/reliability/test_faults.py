"""Faults against real servers (issue #8): the database restarted during a vote storm,
Redis gone, a job worker killed during a clustering run, a gunicorn worker killed.

Each test breaks one server on purpose, counts what clients saw while it was broken, and
then checks that the app recovered by itself and that the database holds no half-written
data. The figures go to docs/reliability.md through `record_figures`.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.reliability.seeding import (
    app_for,
    assert_consistent,
    check_votes,
    dispose,
    libpq_url,
    seed_empty_project,
    seed_poll,
    seed_project_with_ideas,
    staff_token,
)
from tests.reliability.storm import Probe, VoteStorm, request, wait_until
from tools import loopback

pytestmark = pytest.mark.reliability

RECOVERY_LIMIT_SECONDS = 10
STEADY_VOTES = 50
KILL_WINDOW = 3.0  # seconds after a kill in which its in-flight requests may still fail
LIMITER_RETURN_LIMIT = 70  # Flask-Limiter checks a dead storage again after at most 64 s


# ---------------------------------------------------------------- PostgreSQL restarted


def test_postgres_restart_during_vote_storm_gives_retryable_503s_and_loses_no_ballot(
    private_postgres: loopback.PrivatePostgres,
    private_database: str,
    full_scale: bool,
    record_figures: Any,
    tmp_path: Path,
) -> None:
    voters, threads = (8000, 16) if full_scale else (1500, 8)
    modes = ["fast", "immediate", "fast", "immediate"] if full_scale else ["fast", "immediate"]
    outage = 4.0 if full_scale else 2.0
    poll = seed_poll(private_database)
    tokens, first_voter = loopback.add_verified_residents(
        libpq_url(private_database), voters, voters
    )
    server = loopback.start_gunicorn(
        private_database, workers=2, threads=threads // 2, log_path=tmp_path / "gunicorn.log"
    )
    storm = VoteStorm(
        server.base_url, poll.id, poll.question_id, poll.options, tokens, threads=threads
    )
    probe = Probe(server.base_url, f"/api/v1/polls/{poll.id}")
    faults = []
    workers = sorted(server.worker_pids())
    try:
        started = time.monotonic()
        storm.start()
        probe.start()
        for mode in modes:
            goal = storm.voted + STEADY_VOTES  # the storm is in full swing before each fault
            assert wait_until(lambda goal=goal: storm.voted >= goal, 60), "the storm stalled"
            down = time.monotonic()
            private_postgres.stop(mode)
            stopped = time.monotonic()
            time.sleep(outage)
            private_postgres.start()
            up = time.monotonic()
            recovered = probe.wait_for_success_after(up, RECOVERY_LIMIT_SECONDS * 3)
            assert recovered is not None, f"no recovery after the {mode} restart"
            votes_back = storm.log.first_success_after(up) or recovered
            faults.append(
                {
                    "mode": mode,
                    "stop_s": round(stopped - down, 2),
                    "outage_s": round(recovered - down, 2),
                    "recovery_after_start_s": round(recovered - up, 2),
                    "first_vote_after_start_s": round(votes_back - up, 2),
                    "votes_during_fault": storm.log.counts(down, recovered),
                    "reads_during_fault": probe.log.counts(down, recovered),
                }
            )
        time.sleep(1)
        storm.stop()
        duration = time.monotonic() - started
        same_workers = sorted(server.worker_pids()) == workers
    finally:
        storm.stop()
        probe.stop()
        server.stop()

    consistency = check_votes(private_database, poll, storm, first_voter)
    record_figures(
        "fault_postgres_restart",
        {
            "voters": consistency["voters_attempted"],
            "client_threads": threads,
            "gunicorn": f"2 workers × {threads // 2} threads",
            "storm_s": round(duration, 1),
            "planned_outage_s": outage,
            "faults": faults,
            "votes_total": storm.log.counts(),
            "reads_total": probe.log.counts(),
            "consistency": consistency,
            "gunicorn_workers_restarted": not same_workers,
        },
    )
    assert same_workers, "gunicorn workers were restarted: the app did not recover by itself"
    assert storm.log.unexpected == [], storm.log.unexpected[:5]
    assert probe.log.unexpected == [], probe.log.unexpected[:5]
    for fault in faults:
        during = fault["votes_during_fault"]
        assert during["503"] > 0, fault  # the storm really hit the outage
        assert during["5xx"] == during["other"] == during["connection_error"] == 0, fault
        assert fault["recovery_after_start_s"] < RECOVERY_LIMIT_SECONDS, fault
    assert_consistent(consistency)


# ---------------------------------------------------------------- Redis gone


def _limiter_keys(redis: loopback.PrivateRedis) -> int:
    from redis import Redis

    with Redis.from_url(redis.url) as client:
        return sum(1 for _key in client.scan_iter("LIMITS*"))


def _exercise_everything(base: str, *, poll: Any, voter: str, staff: str, project: int) -> dict:
    """One pass over what a visitor, a voter and staff do; every answer kept by name."""
    return {
        "home page": request(base, "GET", "/"),
        "polls page": request(base, "GET", "/polls"),
        "sign-in page": request(base, "GET", "/login"),
        "polls api": request(base, "GET", "/api/v1/polls"),
        "sign-in api": request(
            base,
            "POST",
            "/api/v1/auth/token",
            body={"email": "voter0@loopback.test", "password": loopback.RESIDENT_PASSWORD},
        ),
        "vote": request(
            base,
            "POST",
            f"/api/v1/polls/{poll.id}/votes",
            body={"answers": [{"question_id": poll.question_id, "option_ids": [poll.options[0]]}]},
            token=voter,
        ),
        "start clustering": request(
            base, "POST", f"/api/v1/projects/{project}/clusterings", body={"k": 3}, token=staff
        ),
    }


def test_redis_gone_falls_back_or_refuses_clearly_and_recovers_without_restart(
    loopback_database: str,
    private_redis: loopback.PrivateRedis,
    record_figures: Any,
    tmp_path: Path,
) -> None:
    url = loopback_database
    poll = seed_poll(url)
    project = seed_empty_project(url)
    staff = staff_token(url)
    voters, _first = loopback.add_verified_residents(libpq_url(url), 3, 3)
    login_limit = 5
    server = loopback.start_gunicorn(
        url,
        workers=1,
        threads=4,
        env={
            "REDIS_URL": private_redis.url,
            "RATELIMIT_ENABLED": "true",
            "LOGIN_RATE_LIMIT": f"{login_limit} per minute",
        },
        log_path=tmp_path / "gunicorn.log",
    )
    try:
        workers_before = sorted(server.worker_pids())
        private_redis.stop()
        down = time.monotonic()
        during = _exercise_everything(
            server.base_url, poll=poll, voter=voters[0], staff=staff, project=project
        )
        wrong_password = [
            request(
                server.base_url,
                "POST",
                "/api/v1/auth/token",
                # No such account: only the limit per address can refuse (app/auth/throttle.py
                # slows down tries on existing accounts on its own, in the database).
                body={"email": "nobody@loopback.test", "password": "wrong-password-1"},
            ).status
            for _ in range(login_limit + 1)
        ]
        run_during = request(
            server.base_url,
            "GET",
            f"/api/v1/clusterings/{during['start clustering'].json()['id']}",
            token=staff,
        ).json()
        workers_during = sorted(server.worker_pids())
        outage = time.monotonic() - down

        private_redis.start()
        up = time.monotonic()
        # The limiter goes back to Redis by itself, checking it at growing intervals (1, 2,
        # 4 ... s); until then it counts in memory. A refused sign-in is counted, so the
        # first one counted in Redis again leaves a key there.
        probes = 0
        while _limiter_keys(private_redis) == 0 and time.monotonic() - up < LIMITER_RETURN_LIMIT:
            request(
                server.base_url,
                "POST",
                "/api/v1/auth/token",
                body={"email": "voter2@loopback.test", "password": "wrong-password-2"},
            )
            probes += 1
            time.sleep(0.5)
        limiter_back = time.monotonic() - up
        after = _exercise_everything(
            server.base_url, poll=poll, voter=voters[1], staff=staff, project=project
        )
        run_after = request(
            server.base_url,
            "GET",
            f"/api/v1/clusterings/{after['start clustering'].json()['id']}",
            token=staff,
        ).json()
        queued_in_redis = _queue_length(private_redis)
    finally:
        server.stop()

    figures = {
        "outage_s": round(outage, 2),
        "during": {name: answer.status for name, answer in during.items()},
        "wrong_password_statuses_during": wrong_password,
        "run_started_during": {"status": run_during["status"], "error": run_during["error"]},
        "after_restart": {name: answer.status for name, answer in after.items()},
        "run_started_after": run_after["status"],
        "jobs_in_queue_after": queued_in_redis,
        "limiter_back_on_redis_after_requests": probes,
        "limiter_back_on_redis_s": round(limiter_back, 2),
        "gunicorn_workers_replaced": workers_before != workers_during,
    }
    record_figures("fault_redis_gone", figures)
    assert all(answer.status and answer.status < 500 for answer in during.values()), figures
    assert during["sign-in api"].status == 200
    assert during["vote"].status == 201
    assert wrong_password[-1] == 429, figures  # limits still hold, counted in memory
    assert run_during["status"] == "failed", figures
    assert "Redis" in run_during["error"], figures
    assert workers_before == workers_during, "a gunicorn worker crashed"
    assert all(answer.status and answer.status < 300 for answer in after.values()), figures
    assert run_after["status"] == "queued", figures
    assert queued_in_redis == 1, figures
    assert limiter_back < LIMITER_RETURN_LIMIT, "the rate limiter never went back to Redis"


def _queue_length(redis: loopback.PrivateRedis) -> int:
    from redis import Redis
    from rq import Queue

    with Redis.from_url(redis.url) as client:
        return len(Queue("grazhdanin", connection=client))


# ---------------------------------------------------------------- job worker killed


@dataclass
class StaffApi:
    """Staff's calls to the API and pages, through the app in this process (no web server)."""

    app: Flask
    token: str

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.app.test_client().open(path, method=method, json=body, headers=headers)

    def run_state(self, run_id: int) -> dict[str, Any]:
        response = self.call("GET", f"/api/v1/clusterings/{run_id}")
        return response.json if response.status_code == 200 else {"status": response.status_code}

    def start_run(self, project: int) -> int:
        response = self.call("POST", f"/api/v1/projects/{project}/clusterings", {})
        assert response.status_code == 202, response.json
        return int(response.json["id"])

    def wait_for(self, run_id: int, wanted: set[str], seconds: float) -> tuple[dict, float]:
        """The run's state once its status is one of `wanted` (or at the deadline), and when."""
        deadline = time.monotonic() + seconds
        while True:
            state = self.run_state(run_id)
            if state["status"] in wanted or time.monotonic() > deadline:
                return state, time.monotonic()
            time.sleep(0.1)

    def wait_until_working(self, run_id: int) -> dict[str, Any]:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = self.run_state(run_id)
            if state["status"] == "running" and state["progress"] > 0:
                return state
            assert state["status"] in ("queued", "running"), state
            time.sleep(0.1)
        raise AssertionError(f"run {run_id} never got going: {state}")


def test_killed_job_worker_fails_its_clustering_run_and_a_new_run_completes(
    loopback_database: str,
    private_redis: loopback.PrivateRedis,
    full_scale: bool,
    record_figures: Any,
    tmp_path: Path,
) -> None:
    url = loopback_database
    ideas = 6000 if full_scale else 3000
    seeding_started = time.monotonic()
    project = seed_project_with_ideas(url, ideas)
    seeding = time.monotonic() - seeding_started
    staff = StaffApi(app_for(url, REDIS_URL=private_redis.url), staff_token(url))
    log = tmp_path / "worker.log"
    worker = loopback.start_job_worker(url, private_redis.url, log_path=log)
    try:
        # 1. Only the work horse dies (out of memory, say): its worker sees it and says so.
        horse_run = staff.start_run(project)
        horse_state = staff.wait_until_working(horse_run)
        killed = time.monotonic()
        for pid in worker.work_horse_pids():
            os.kill(pid, signal.SIGKILL)
        horse_failed, horse_failed_at = staff.wait_for(horse_run, {"failed"}, 60)

        # 2. The worker and its horse die together (machine lost): nobody is left to tell;
        # the next worker to start finds the run's worker gone and fails the run.
        lost_run = staff.start_run(project)
        lost_state = staff.wait_until_working(lost_run)
        worker.kill()
        time.sleep(2)
        while_no_worker = staff.run_state(lost_run)
        restarted = time.monotonic()
        worker = loopback.start_job_worker(url, private_redis.url, log_path=log)
        lost_failed, lost_failed_at = staff.wait_for(lost_run, {"failed"}, 120)
        page = staff.call("GET", f"/clusterings/{lost_run}").get_data(as_text=True)

        # 3. A new run, on the fresh worker, completes.
        fresh_started = time.monotonic()
        fresh_run = staff.start_run(project)
        fresh, fresh_done_at = staff.wait_for(fresh_run, {"done", "failed"}, 300)
    finally:
        worker.stop()
        dispose(staff.app)

    figures = {
        "ideas": ideas,
        "seeding_s": round(seeding, 1),
        "work_horse_killed": {
            "progress_when_killed": horse_state["progress"],
            "path": "RQ work-horse-killed handler in the surviving worker",
            "failed_after_s": round(horse_failed_at - killed, 2),
            "status": horse_failed["status"],
            "error": horse_failed["error"],
        },
        "worker_and_horse_killed": {
            "progress_when_killed": lost_state["progress"],
            "status_with_no_worker": while_no_worker["status"],
            "path": "fail_orphaned_jobs when the next `flask worker` starts",
            "failed_after_worker_start_s": round(lost_failed_at - restarted, 2),
            "status": lost_failed["status"],
            "error": lost_failed["error"],
        },
        "fresh_run": {
            "status": fresh["status"],
            "clusters": len(fresh.get("clusters") or []),
            "duration_s": round(fresh_done_at - fresh_started, 1),
        },
    }
    record_figures("fault_worker_killed", figures)
    assert horse_failed["status"] == "failed", figures
    assert "killed" in horse_failed["error"], figures
    assert while_no_worker["status"] == "running", figures  # nobody alive to notice yet
    assert lost_failed["status"] == "failed", figures
    assert "worker" in lost_failed["error"], figures
    assert "Группировка не удалась" in page, "the run page does not show the failure"
    assert lost_failed["error"] in page
    assert fresh["status"] == "done", figures
    assert fresh["clusters"], figures


# ---------------------------------------------------------------- gunicorn worker killed


def test_killed_gunicorn_worker_is_replaced_and_only_its_requests_fail_retryably(
    loopback_database: str, full_scale: bool, record_figures: Any, tmp_path: Path
) -> None:
    url = loopback_database
    workers, kills = (4, 8) if full_scale else (3, 3)
    voters, vote_threads, readers = (6000, 12, 4) if full_scale else (1500, 6, 2)
    poll = seed_poll(url)
    tokens, first_voter = loopback.add_verified_residents(libpq_url(url), voters, voters)
    server = loopback.start_gunicorn(
        url, workers=workers, threads=4, log_path=tmp_path / "gunicorn.log"
    )
    storm = VoteStorm(
        server.base_url, poll.id, poll.question_id, poll.options, tokens, threads=vote_threads
    )
    paths = [f"/api/v1/polls/{poll.id}/results", "/polls"]  # a recount, a page
    reads = [Probe(server.base_url, paths[n % 2], interval=0.01) for n in range(readers)]
    events = []
    try:
        started = time.monotonic()
        storm.start()
        for reader in reads:
            reader.start()
        for _ in range(kills):
            goal = storm.voted + STEADY_VOTES
            assert wait_until(lambda goal=goal: storm.voted >= goal, 60), "the storm stalled"
            before = server.worker_pids()
            victim = before[len(events) % len(before)]
            killed = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            replaced = wait_until(
                lambda victim=victim: (
                    victim not in server.worker_pids() and len(server.worker_pids()) == workers
                ),
                30,
            )
            events.append(
                {
                    "killed_at": killed,
                    "replaced": replaced,
                    "replaced_after_s": round(time.monotonic() - killed, 2),
                }
            )
        time.sleep(1)
        storm.stop()
        duration = time.monotonic() - started
    finally:
        storm.stop()
        for reader in reads:
            reader.stop()
        final_workers = server.worker_pids()
        server.stop()

    def near_a_kill(at: float) -> bool:
        return any(e["killed_at"] - 0.05 <= at <= e["killed_at"] + KILL_WINDOW for e in events)

    logs = [storm.log, *(reader.log for reader in reads)]
    errors = [at for log in logs for at, outcome in log.events if outcome == "connection_error"]
    consistency = check_votes(url, poll, storm, first_voter)
    figures = {
        "gunicorn": f"{workers} workers × 4 threads",
        "client_threads": {"voting": vote_threads, "reading": len(reads)},
        "kills": kills,
        "replaced_after_s": [e["replaced_after_s"] for e in events],
        "storm_s": round(duration, 1),
        "votes": storm.log.counts(),
        "reads": {reader.path: reader.log.counts() for reader in reads},
        "connection_errors": len(errors),
        "connection_errors_away_from_kills": sum(1 for at in errors if not near_a_kill(at)),
        "votes_after_last_kill_2xx": storm.log.counts(start=events[-1]["killed_at"] + 1)["2xx"],
        "consistency": consistency,
    }
    record_figures("fault_gunicorn_worker_killed", figures)
    assert all(e["replaced"] for e in events), figures
    assert len(final_workers) == workers, figures
    for log in logs:
        assert log.unexpected == [], log.unexpected[:5]
    assert figures["connection_errors_away_from_kills"] == 0, figures
    # Only requests in flight can be lost: at most one per client thread at each kill.
    assert len(errors) <= kills * (vote_threads + len(reads)), figures
    assert figures["votes_after_last_kill_2xx"] > 0, figures
    assert_consistent(consistency)
