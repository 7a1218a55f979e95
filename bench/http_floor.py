"""HTTP floor benchmark: the production server, bare `/hello` beside `/api/v1/me`.

`/hello` is the cheapest view in the project (full middleware stack, no database); `/api/v1/me`
is the cheapest authenticated API read. Their ratio is the floor every later endpoint is
compared with. Measured with bench/load.py: closed-loop capacity (wrk, interleaved rounds,
unbalanced rounds discarded), then open-loop Poisson p50/p99 at 25/50/75 % of capacity.
This module also holds the pieces every bench shares: server start/stop, the child
environment, data preparation, wrk output parsing, machine facts.

    .venv/bin/python bench/http_floor.py          # WSGI (what `circlemart serve` runs), ~3 min
    .venv/bin/python bench/http_floor.py --server asgi --rounds 5 --json var/bench/floor.json
    .venv/bin/python bench/http_floor.py --database-url postgres://postgres@127.0.0.1/bench
    .venv/bin/python bench/http_floor.py --quick  # smoke run (CI): checks answers, no speed
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

WRK = "wrk"
WRK_THREADS = 2
FLOOR_ENDPOINT = "hello"
SERVER_START_TIMEOUT_SECONDS = 60.0
SERVER_STOP_TIMEOUT_SECONDS = 20.0
# Above this share of the machine used by other processes during a round, the numbers are
# flagged as not clean (development machines and CI share their cores).
FOREIGN_CPU_WARNING = 0.10
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Tokens must outlive setup, warm-up and every run of both server kinds.
ACCESS_TOKEN_MINUTES = 120
BENCH_PASSWORD = "Bench-floor-password-2718"


class BenchmarkError(RuntimeError):
    """Anything that makes the numbers meaningless: the run stops and says why."""


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServerKind:
    name: str
    label: str
    application: str
    worker_arguments: tuple[str, ...]


@dataclass(frozen=True)
class WrkResult:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    error_responses: int
    socket_errors: int


@dataclass(frozen=True)
class Round:
    wrk: WrkResult
    foreign_cpu_share: float


def serve_worker_arguments(kind: str) -> tuple[str, tuple[str, ...]]:
    """(application, worker arguments) exactly as `circlemart serve --server <kind>` passes
    them to gunicorn, from the tree being measured (PYTHONPATH=/tmp/base/src measures a
    baseline with its own); gthread / uvicorn as before if that tree cannot say."""
    try:
        from circlemart.config.cli import server_arguments
    except ImportError:
        if kind == "asgi":
            return "circlemart.config.asgi:application", (
                "--worker-class",
                "uvicorn_worker.UvicornWorker",
            )
        return "circlemart.config.wsgi:application", ("--worker-class", "gthread")
    arguments = server_arguments(kind, 1)
    workers = arguments.index("--workers")
    worker = list(arguments[1:workers] + arguments[workers + 2 :])
    if "--threads" in worker:  # the bench's --wsgi-threads decides
        at = worker.index("--threads")
        del worker[at : at + 2]
    return arguments[0], tuple(worker)


def _worker_class(arguments: Sequence[str]) -> str:
    name = arguments[arguments.index("--worker-class") + 1]
    return name.rsplit(".", 1)[-1]


def server_kinds(*, wsgi_threads: int) -> dict[str, ServerKind]:
    """By --server name; "sync" and "wsgi" are the same WSGI server, with the worker class
    `circlemart serve` uses (gunicorn's plain sync workers when wsgi_threads is 1)."""
    asgi_application, asgi_worker = serve_worker_arguments("asgi")
    wsgi_application, wsgi_worker = serve_worker_arguments("wsgi")
    if wsgi_threads > 1:
        wsgi_worker = (*wsgi_worker, "--threads", str(wsgi_threads))
        wsgi_label = f"wsgi {_worker_class(wsgi_worker)} x{wsgi_threads}"
    else:
        wsgi_worker, wsgi_label = ("--worker-class", "sync"), "wsgi sync"
    kinds = {
        # Exactly what `circlemart serve` runs in production.
        "asgi": ServerKind(
            name="asgi",
            label=f"asgi {_worker_class(asgi_worker)}",
            application=asgi_application,
            worker_arguments=asgi_worker,
        ),
        "sync": ServerKind(
            name="wsgi",
            label=wsgi_label,
            application=wsgi_application,
            worker_arguments=wsgi_worker,
        ),
    }
    kinds["wsgi"] = kinds["sync"]
    return kinds


def benchmark_endpoints(*, access_token: str) -> list[Endpoint]:
    """The floor first; later benchmarks append their endpoints here."""
    return [
        Endpoint(name=FLOOR_ENDPOINT, path="/hello"),
        Endpoint(
            name="me",
            path="/api/v1/me",
            headers={"Authorization": f"Bearer {access_token}"},
        ),
    ]


# --- Child processes --------------------------------------------------------------------------


def child_environment(
    *, data_dir: Path, database_url: str | None, redis_url: str | None
) -> dict[str, str]:
    environment = dict(os.environ)
    for name in ("DEBUG", "DATABASE_URL", "REDIS_URL"):
        environment.pop(name, None)
    environment.update(
        {
            "CIRCLEMART_DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARNING",
            "RATELIMIT_ENABLED": "0",
            "ACCESS_TOKEN_MINUTES": str(ACCESS_TOKEN_MINUTES),
            "ALLOWED_HOSTS": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if database_url:
        environment["DATABASE_URL"] = database_url
    if redis_url:
        environment["REDIS_URL"] = redis_url
    return environment


# Quick runs (bench/quick.py, `make bench-quick`) prepare one data dir first (migrated SQLite
# database, collected static files) and name it here: `circlemart migrate` into a fresh SQLite
# data dir and `collectstatic` into one without static files then copy it instead of redoing
# a minute of work per bench. Only for a template made by the same tree in the same run.
TEMPLATE_ENV = "CIRCLEMART_BENCH_TEMPLATE"
# ... and a migrated PostgreSQL database a bench that creates its own may copy (TEMPLATE).
TEMPLATE_DATABASE_ENV = "CIRCLEMART_BENCH_TEMPLATE_DATABASE"
SQLITE_NAME = "circlemart.sqlite3"
DATA_DIR_KEYS = ("secret_key", "field_key", "pii_lookup_key", "payments_webhook_secret")


def copied_from_template(arguments: Sequence[str], environment: Mapping[str, str]) -> bool:
    """Did `circlemart <arguments>` come down to a copy from the quick runs' template?"""
    template, data_dir = environment.get(TEMPLATE_ENV), environment.get("CIRCLEMART_DATA_DIR")
    if not template or not data_dir or not arguments:
        return False
    source, target = Path(template), Path(data_dir)
    if arguments[0] == "migrate" and not environment.get("DATABASE_URL"):
        if (target / SQLITE_NAME).exists() or not (source / SQLITE_NAME).exists():
            return False
        target.mkdir(parents=True, exist_ok=True)
        for path in source.glob(SQLITE_NAME + "*"):  # with -wal/-shm if any were left
            shutil.copy2(path, target / path.name)
        for key in DATA_DIR_KEYS:
            if (source / key).exists() and not (target / key).exists():
                shutil.copy2(source / key, target / key)
        return True
    if arguments[0] == "collectstatic":
        if (target / "static").exists() or not (source / "static").is_dir():
            return False
        shutil.copytree(source / "static", target / "static")
        return True
    return False


def circlemart(
    arguments: Sequence[str], *, environment: Mapping[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`circlemart <arguments>` with this interpreter, failing loudly with its output."""
    command = [sys.executable, "-m", "circlemart.config.cli", *arguments]
    if copied_from_template(arguments, environment):
        return subprocess.CompletedProcess(command, 0, f"copied from ${TEMPLATE_ENV}\n", "")
    completed = subprocess.run(
        command, env=dict(environment), cwd=cwd, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BenchmarkError(
            f"`circlemart {arguments[0]}` exited {completed.returncode}:\n"
            f"{completed.stdout}{completed.stderr}"
        )
    return completed


ISSUE_TOKEN_SNIPPET = """
from circlemart.accounts.services import token_pair_issue, user_register_with_email
user = user_register_with_email(email={email!r}, password={password!r}, nickname="bench")
print("ACCESS_TOKEN=" + token_pair_issue(user=user).access_token)
"""


def prepare_data(*, environment: Mapping[str, str], cwd: Path) -> str:
    """Migrate, collect static files and create the benchmark user; returns its access token."""
    circlemart(["migrate", "--noinput"], environment=environment, cwd=cwd)
    # DEBUG off means the manifest static storage: templates fail without the manifest.
    circlemart(["collectstatic", "--noinput"], environment=environment, cwd=cwd)
    # A fresh address each run, so a passed-through --database-url can be reused.
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    snippet = ISSUE_TOKEN_SNIPPET.format(email=email, password=BENCH_PASSWORD)
    shell = circlemart(["shell", "-c", snippet], environment=environment, cwd=cwd)
    for line in shell.stdout.splitlines():
        if line.startswith("ACCESS_TOKEN="):
            return line.removeprefix("ACCESS_TOKEN=").strip()
    raise BenchmarkError(f"no access token in `circlemart shell` output:\n{shell.stdout}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RunningServer:
    """Gunicorn in its own process group, so stopping it stops every worker too."""

    def __init__(
        self,
        kind: ServerKind,
        *,
        workers: int,
        environment: Mapping[str, str],
        work_dir: Path,
    ) -> None:
        self.kind = kind
        self.port = free_port()
        self.log_path = work_dir / f"gunicorn-{kind.name}.log"
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            kind.application,
            *kind.worker_arguments,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            # Not a request-path setting: keeps this run off the default control socket in
            # ~/.gunicorn, which a development server on the same machine may be using.
            "--control-socket",
            str(work_dir / f"gunicorn-{kind.name}.ctl"),
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                env=dict(environment),
                cwd=work_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchmarkError(
                    f"{self.kind.label} exited {self.process.returncode} while starting:\n"
                    f"{self.log_tail()}"
                )
            try:
                status, _, body = fetch(f"{self.base_url}/hello")
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200 and body == b"hello":
                return
            raise BenchmarkError(f"/hello answered {status} {body[:200]!r}")
        raise BenchmarkError(f"{self.kind.label} did not answer /hello:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


# --- HTTP checks and wrk --------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a wrong answer here, not something to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET, without following redirects."""
    request = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310 (loopback)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def check_endpoint(base_url: str, endpoint: Endpoint) -> None:
    """Before measuring, make sure the endpoint answers 200 (and valid JSON for API paths)."""
    status, content_type, body = fetch(base_url + endpoint.path, endpoint.headers)
    if status != 200:
        raise BenchmarkError(f"{endpoint.path} answered {status}: {body[:300]!r}")
    if endpoint.path.startswith("/api/"):
        if not content_type.startswith("application/json"):
            raise BenchmarkError(f"{endpoint.path} answered {content_type!r}, not JSON")
        json.loads(body)


_UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_REQUESTS_PER_SECOND = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_REQUEST_COUNT = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
# wrk's "Non-2xx or 3xx responses" counts every status >= 400 (redirects are caught by
# check_endpoint, which does not follow them).
_ERROR_RESPONSES = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
_SOCKET_ERRORS = re.compile(
    r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)


def _percentile_ms(output: str, percentile: int) -> float:
    match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    if match is None:
        raise BenchmarkError(f"no {percentile}% latency in wrk output:\n{output}")
    return float(match.group(1)) * _UNIT_TO_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rate = _REQUESTS_PER_SECOND.search(output)
    count = _REQUEST_COUNT.search(output)
    if rate is None or count is None:
        raise BenchmarkError(f"cannot read wrk output:\n{output}")
    error_responses = _ERROR_RESPONSES.search(output)
    socket_errors = _SOCKET_ERRORS.search(output)
    return WrkResult(
        requests=int(count.group(1)),
        requests_per_second=float(rate.group(1)),
        p50_ms=_percentile_ms(output, 50),
        p99_ms=_percentile_ms(output, 99),
        error_responses=int(error_responses.group(1)) if error_responses else 0,
        socket_errors=sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    )


def run_wrk(url: str, endpoint: Endpoint, *, seconds: int, connections: int) -> WrkResult:
    command = [
        WRK,
        f"--threads={WRK_THREADS}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--latency",
    ]
    for name, value in endpoint.headers.items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    completed = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    if completed.returncode != 0:
        raise BenchmarkError(f"wrk exited {completed.returncode}:\n{completed.stderr}")
    result = parse_wrk(completed.stdout)
    if result.error_responses or result.socket_errors:
        raise BenchmarkError(
            f"{endpoint.path}: {result.error_responses} error responses and "
            f"{result.socket_errors} socket errors out of {result.requests} requests; "
            f"the numbers would be meaningless.\n{completed.stdout}"
        )
    return result


# --- Other load on the machine -------------------------------------------------------------


def _machine_busy_ticks() -> int:
    # First line of /proc/stat: cpu user nice system idle iowait irq softirq steal ...
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields)
    return user + nice + system + irq + softirq + steal


def _process_group_ticks(group: int) -> int:
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After "(command)": state ppid pgrp session tty tpgid flags minflt cminflt majflt
            # cmajflt utime stime ...
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total


# The database and cache servers a bench talks to: their CPU is part of what is measured.
SERVICE_COMMANDS = frozenset({"postgres", "redis-server"})


def _service_ticks() -> int:
    """CPU ticks of the PostgreSQL and Redis server processes (every backend)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        head, _, tail = text.rpartition(")")
        if head.partition("(")[2] in SERVICE_COMMANDS:
            fields = tail.split()
            total += int(fields[11]) + int(fields[12])
    return total


def _waited_children_ticks() -> int:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * CLOCK_TICKS)


class ForeignCpu:
    """The share of the machine's CPU that processes other than the server and wrk used."""

    def __init__(self, *, server_group: int) -> None:
        self.server_group = server_group
        self.share = 0.0

    def _sample(self) -> tuple[float, int, int, int]:
        return (
            time.monotonic(),
            _machine_busy_ticks(),
            _process_group_ticks(self.server_group),
            _waited_children_ticks(),  # wrk, once run_wrk has waited for it
        )

    def __enter__(self) -> ForeignCpu:
        self.start = self._sample()
        return self

    def __exit__(self, *exc_info: object) -> None:
        start_time, start_busy, start_server, start_wrk = self.start
        end_time, end_busy, end_server, end_wrk = self._sample()
        ours = (end_server - start_server) + (end_wrk - start_wrk)
        capacity = (end_time - start_time) * CLOCK_TICKS * len(os.sched_getaffinity(0))
        self.share = max(0.0, (end_busy - start_busy - ours) / capacity) if capacity else 0.0


# --- Report ---------------------------------------------------------------------------------


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _wrk_version() -> str:
    # `wrk --version` prints its banner ("wrk debian/4.1.0-3+b2 [epoll] Copyright ...").
    banner = subprocess.run([WRK, "--version"], capture_output=True, text=True, check=False)
    return (banner.stdout or banner.stderr).split(" Copyright")[0].removeprefix("wrk ").strip()


def machine_facts(*, database_url: str | None, redis_url: str | None) -> dict[str, str]:
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "load average before start": f"{os.getloadavg()[0]:.2f}",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "django": _version("Django"),
        "gunicorn": _version("gunicorn"),
        "uvicorn": _version("uvicorn"),
        "uvloop": _version("uvloop"),
        "httptools": _version("httptools"),
        "wrk": _wrk_version(),
        # The scheme only: a URL may carry a password.
        "database": database_url.split(":", 1)[0] if database_url else "sqlite (temp dir)",
        "cache": "redis" if redis_url else "local memory",
    }


# --- Main -----------------------------------------------------------------------------------


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    import load

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    load.add_common_arguments(parser, servers=("wsgi", "asgi", "sync", "both"))
    arguments = parser.parse_args(argv)
    if min(arguments.workers, arguments.wsgi_threads) < 1:
        parser.error("--workers and --wsgi-threads must be at least 1")
    return arguments


def me_is_the_bench_user(body: bytes) -> bool:
    answer = json.loads(body)
    return str(answer.get("email", "")).startswith("bench-")


def chosen_kinds(arguments: argparse.Namespace) -> list[ServerKind]:
    """--server both: WSGI (what `circlemart serve` runs) then ASGI; else the one asked for."""
    import load

    if arguments.server != "both":
        return [load.server_kind(arguments)]
    kinds = server_kinds(wsgi_threads=arguments.wsgi_threads)
    return [kinds["wsgi"], kinds["asgi"]]


def measure_kind(
    kind: ServerKind,
    *,
    arguments: argparse.Namespace,
    options: Any,
    environment: Mapping[str, str],
    work_dir: Path,
    access_token: str,
    facts: Mapping[str, str],
) -> Any:
    """bench/load.py's measure of /hello and /api/v1/me on one server kind (a load.Report)."""
    import load

    server = RunningServer(
        kind, workers=arguments.workers, environment=environment, work_dir=work_dir
    )
    try:
        server.wait_until_ready()
        me = load.Target(
            "me",
            "/api/v1/me",
            headers={"Authorization": f"Bearer {access_token}"},
            check=me_is_the_bench_user,
        )
        return load.measure(
            server.base_url,
            [me],
            options=options,
            server=server,
            bench="http-floor",
            server_label=kind.label,
            machine=facts,
        )
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    import load

    arguments = parse_arguments(argv)
    options = load.options_from_arguments(arguments)
    if shutil.which(WRK) is None:
        print(
            "wrk is not installed: `apt-get install -y wrk` (Debian), then run again.",
            file=sys.stderr,
        )
        return 2
    kinds = chosen_kinds(arguments)
    facts = machine_facts(database_url=arguments.database_url, redis_url=arguments.redis_url)
    print("machine: " + ", ".join(f"{name} {value}" for name, value in facts.items()))
    print(
        f"load: {' then '.join(k.label for k in kinds)}, {arguments.workers} gunicorn workers; "
        f"wrk {WRK_THREADS} threads, {options.connections} connections, {options.rounds} "
        f"interleaved rounds of {options.duration} s after {options.warmup} s warm-up; then "
        f"open loop ({options.arrivals}) at {', '.join(f'{f:.0%}' for f in options.fractions)} "
        f"of each endpoint's capacity for {options.open_duration:g} s"
    )
    print("settings: DEBUG off, LOG_LEVEL=WARNING, RATELIMIT_ENABLED=0 (rate limits off)")
    reports = []
    try:
        with tempfile.TemporaryDirectory(prefix="circlemart-bench-") as temporary:
            work_dir = Path(temporary)
            environment = child_environment(
                data_dir=work_dir / "data",
                database_url=arguments.database_url,
                redis_url=arguments.redis_url,
            )
            print("setup: migrate, collectstatic, one user and its access token", flush=True)
            access_token = prepare_data(environment=environment, cwd=work_dir)
            for kind in kinds:
                print(f"server: {kind.label}", flush=True)
                reports.append(
                    measure_kind(
                        kind,
                        arguments=arguments,
                        options=options,
                        environment=environment,
                        work_dir=work_dir,
                        access_token=access_token,
                        facts=facts,
                    )
                )
    except BenchmarkError as error:
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        return 1
    for report in reports:
        load.print_report(report)
    if arguments.json:
        # The first (the server `circlemart serve` runs) at --json, others beside it.
        for index, (kind, report) in enumerate(zip(kinds, reports, strict=True)):
            path = arguments.json
            if index:
                path = path.with_name(f"{path.stem}.{kind.name}{path.suffix}")
            load.write_json(report, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
