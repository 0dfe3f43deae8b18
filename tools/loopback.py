"""Real servers on loopback for benchmarks and reliability tests.

Throw-away PostgreSQL databases (migrated with the real migrations), gunicorn serving the
app against one of them, and private PostgreSQL and Redis servers that a fault test may
stop and start without disturbing the machine's shared ones. Nothing here imports the app
at module level, so a script can import this before choosing its settings.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RESIDENT_PASSWORD = "loopback-pass-2026"  # noqa: S105 (test accounts on throw-away databases)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- databases


def create_database(admin_url: str = DEFAULT_ADMIN_URL, prefix: str = "loopback") -> str:
    """A new empty database next to `admin_url`'s; returns its URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlsplit(admin_url)._replace(path=f"/{name}").geturl()


def drop_database(admin_url: str, url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str) -> None:
    """Build the schema with the project's migrations, in a child process.

    A child keeps the app's engine and import-time state out of the calling process
    (a load test driver, a pytest worker).
    """
    subprocess.run(  # noqa: S603 (fixed command line)
        [os.environ.get("PYTHON", _python()), "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
        check=True,
        capture_output=True,
    )


def _python() -> str:
    import sys

    return sys.executable


def add_verified_residents(
    url: str, count: int, with_tokens: int, email_prefix: str = "voter"
) -> tuple[list[str], int]:
    """`count` verified residents by COPY; bearer tokens for the first `with_tokens`.

    `url` is a plain libpq URL. Residents live in six Moscow districts, registered a month
    ago, password `loopback-pass-2026`. Returns the raw tokens and the first new user id.
    """
    import psycopg

    from app.auth.passwords import hash_password

    districts = ["arbat", "khamovniki", "marino", "teplyy-stan", "basmannyy", "presnenskiy"]
    password_hash = hash_password(RESIDENT_PASSWORD)
    now = datetime.now(UTC)
    raw_tokens = []
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        first = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM users").fetchone()[0]
        with cur.copy(
            "COPY users (id, email, password_hash, display_name, district_code, created_at,"
            " verified_at, session_version) FROM STDIN"
        ) as copy:
            for n in range(count):
                copy.write_row(
                    (
                        first + n,
                        f"{email_prefix}{n}@loopback.test",
                        password_hash,
                        f"Житель {n}",
                        districts[n % len(districts)],
                        now - timedelta(days=30),
                        now - timedelta(days=29),
                        1,
                    )
                )
        cur.execute("SELECT setval('users_id_seq', (SELECT max(id) FROM users))")
        with cur.copy(
            "COPY api_tokens (user_id, token_hash, created_at, expires_at, session_version)"
            " FROM STDIN"
        ) as copy:
            for n in range(with_tokens):
                raw = secrets.token_urlsafe(32)
                raw_tokens.append(raw)
                digest = hashlib.sha256(raw.encode()).hexdigest()
                copy.write_row((first + n, digest, now, now + timedelta(days=1), 1))
        cur.execute("ANALYZE")
        conn.commit()
    return raw_tokens, int(first)


# ---------------------------------------------------------------- gunicorn


EMPTY_GUNICORN_CONFIG = Path(tempfile.gettempdir()) / "loopback_gunicorn.conf.py"


@dataclass
class Gunicorn:
    """A gunicorn master serving wsgi:app on 127.0.0.1:`port`."""

    process: subprocess.Popen
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """The master's worker processes (children), read from /proc."""
        return child_pids(self.process.pid)

    def cpu_seconds(self) -> float:
        """CPU the master and its workers have used so far."""
        return cpu_seconds([self.process.pid, *self.worker_pids()])

    def stop(self) -> None:
        stop_process_group(self.process)


def start_gunicorn(
    database_url: str,
    *,
    workers: int = 4,
    threads: int = 4,
    worker_class: str = "gthread",
    env: Mapping[str, str | None] | None = None,
    port: int | None = None,
    timeout: int = 30,
    log_path: Path | None = None,
    keepalive: int | None = None,
    ready_seconds: float = 60,
    config: Path | None = None,
) -> Gunicorn:
    """Serve the app with gunicorn and wait until /healthz answers.

    The environment gets fixed keys (SECRET_KEY, ADDRESS_HASH_KEY, LEDGER_SIGNING_KEY), rate
    limits off and no REDIS_URL unless `env` says otherwise (a value of None removes a
    variable). `keepalive` (seconds an idle connection stays open; gunicorn's default is 2)
    lets a load test stand in for a proxy that keeps connections to clients open longer than
    they stay idle. A busy machine may need more than the default `ready_seconds` to import
    the app in every worker. `config` is the gunicorn settings file (default: an empty one,
    so that no access log is written under load); the command line's options win over it.
    """
    port = port or free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "loopback-secret",
        "ADDRESS_HASH_KEY": "loopback-address-hash-key",
        "LEDGER_SIGNING_KEY": "10" * 32,
        "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }
    environment.pop("REDIS_URL", None)
    for key, value in (env or {}).items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    if config is None:
        EMPTY_GUNICORN_CONFIG.write_text("# empty: settings come from the command line\n")
    output = log_path.open("ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(  # noqa: S603 (fixed command line)
        [
            _python(),
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--timeout",
            str(timeout),
            *(["--keep-alive", str(keepalive)] if keepalive is not None else []),
            "--bind",
            f"127.0.0.1:{port}",
            "--config",
            str(config or EMPTY_GUNICORN_CONFIG),
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
        stdout=output,
        stderr=output,
    )
    if log_path:
        output.close()  # the child holds its own copy of the descriptor
    server = Gunicorn(process, port)
    if not wait_for_http(f"{server.base_url}/healthz", seconds=ready_seconds):
        server.stop()
        raise RuntimeError("gunicorn did not start")
    return server


def child_pids(pid: int) -> list[int]:
    """A process's children, read from /proc (empty once it is gone)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in children.read_text().split()]
    except OSError:
        return []


def processes_named(name: str) -> list[int]:
    """Every process whose command name is `name` (e.g. the PostgreSQL server's), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def machine_cpu_ticks() -> dict[str, int]:
    """The machine's CPU time so far by kind (user, system, idle, steal…), from /proc/stat."""
    kinds = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1 : len(kinds) + 1]]
    return dict(zip(kinds, values, strict=True))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far, read from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


# ---------------------------------------------------------------- job worker


@dataclass
class JobWorker:
    """`flask worker`: an RQ worker executing the app's jobs from Redis.

    RQ runs each job in a forked work horse with a process group of its own, so killing the
    worker's group leaves the horse running: `kill` ends both, as a lost machine would.
    """

    process: subprocess.Popen

    def work_horse_pids(self) -> list[int]:
        return child_pids(self.process.pid)

    def kill(self) -> None:
        """SIGKILL the worker first (nothing is left to notice), then its work horses."""
        horses = self.work_horse_pids()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid in horses:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        for pid in self.work_horse_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        stop_process_group(self.process)


def start_job_worker(
    database_url: str,
    redis_url: str,
    *,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
) -> JobWorker:
    """Start `flask worker` against the database and Redis; it takes jobs once it is up."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "loopback-secret",
        "ADDRESS_HASH_KEY": "loopback-address-hash-key",
        "LEDGER_SIGNING_KEY": "10" * 32,
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    output = log_path.open("ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(  # noqa: S603 (fixed command line)
        [_python(), "-m", "flask", "--app", "wsgi", "worker"],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
        stdout=output,
        stderr=output,
    )
    if log_path:
        output.close()  # the child holds its own copy of the descriptor
    return JobWorker(process)


def wait_for_http(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback URL we built)
                return True
        except OSError:
            time.sleep(0.3)
    return False


def stop_process_group(process: subprocess.Popen, wait: float = 20) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=wait)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=wait)


# ---------------------------------------------------------------- private servers


def _postgres_bin(program: str) -> str:
    found = shutil.which(program)
    if found:
        return found
    for version in sorted(Path("/usr/lib/postgresql").glob("*"), reverse=True):
        candidate = version / "bin" / program
        if candidate.exists():
            return str(candidate)
    raise FileNotFoundError(f"PostgreSQL's {program} is not installed")


def _as_postgres_user() -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres account then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of our own on a free port, to stop and start at will."""

    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="private-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> PrivatePostgres:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # the postgres account must reach and own the directory
            self.directory.chmod(0o755)
            shutil.chown(self.directory, "postgres", "postgres")
        subprocess.run(  # noqa: S603 (fixed command line)
            [
                *_as_postgres_user(),
                _postgres_bin("initdb"),
                "-D",
                str(self.directory / "data"),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
        )
        return self

    def _pg_ctl(self, *args: str) -> None:
        data = str(self.directory / "data")
        subprocess.run(  # noqa: S603 (fixed command line)
            [*_as_postgres_user(), _postgres_bin("pg_ctl"), "-D", data, *args],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
            " -c fsync=on -c max_connections=200"
        )
        self._pg_ctl("start", "-w", "-l", str(self.directory / "server.log"), "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """`fast` rolls back open transactions; `immediate` is a crash (recovery on start)."""
        self._pg_ctl("stop", "-w", "-m", mode)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class PrivateRedis:
    """A redis-server of our own on a free port (nothing kept on disk)."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (fixed command line)
            [  # noqa: S607 (redis-server is found on PATH)
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None
