"""HTTP floor benchmark: the production server under wrk, bare `/hello` beside `/api/v1/me`.

`/hello` is the cheapest view in the project (full middleware stack, no database); `/api/v1/me`
is the cheapest authenticated API read. Their ratio is the floor every later endpoint is
compared with. Add endpoints to `benchmark_endpoints()`; the floor stays first.

    .venv/bin/python bench/http_floor.py          # ASGI and WSGI, 3 rounds x 10 s, 32 connections
    .venv/bin/python bench/http_floor.py --server asgi --rounds 5 --json var/floor.json
    .venv/bin/python bench/http_floor.py --database-url postgres://postgres@127.0.0.1/bench
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
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
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


@dataclass(frozen=True)
class Measurement:
    """One endpoint on one server kind: medians over the rounds, plus the req/s range."""

    endpoint: str
    path: str
    server: str
    rounds: int
    requests_per_second: float
    requests_per_second_min: float
    requests_per_second_max: float
    p50_ms: float
    p99_ms: float
    requests: int
    ratio_to_floor: float
    foreign_cpu_share_max: float


def server_kinds(*, wsgi_threads: int) -> dict[str, ServerKind]:
    return {
        # Exactly what `circlemart serve` runs in production.
        "asgi": ServerKind(
            name="asgi",
            label="asgi uvicorn",
            application="circlemart.config.asgi:application",
            worker_arguments=("--worker-class", "uvicorn_worker.UvicornWorker"),
        ),
        "sync": ServerKind(
            name="wsgi",
            label=f"wsgi gthread x{wsgi_threads}" if wsgi_threads > 1 else "wsgi sync",
            application="circlemart.config.wsgi:application",
            worker_arguments=(
                ("--worker-class", "gthread", "--threads", str(wsgi_threads))
                if wsgi_threads > 1
                else ("--worker-class", "sync")
            ),
        ),
    }


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


def circlemart(
    arguments: Sequence[str], *, environment: Mapping[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`circlemart <arguments>` with this interpreter, failing loudly with its output."""
    command = [sys.executable, "-m", "circlemart.config.cli", *arguments]
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


def format_table(measurements: Sequence[Measurement]) -> str:
    header = (
        "endpoint",
        "server",
        "req/s",
        "req/s range",
        "p50 ms",
        "p99 ms",
        f"vs {FLOOR_ENDPOINT}",
        "others' CPU",
    )
    rows = [
        (
            m.endpoint,
            m.server,
            f"{m.requests_per_second:,.0f}",
            f"{m.requests_per_second_min:,.0f}-{m.requests_per_second_max:,.0f}",
            f"{m.p50_ms:.2f}",
            f"{m.p99_ms:.2f}",
            f"{m.ratio_to_floor:.2f}",
            f"{m.foreign_cpu_share_max:.0%}",
        )
        for m in measurements
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


# --- Main -----------------------------------------------------------------------------------


def measure_server(
    kind: ServerKind,
    *,
    arguments: argparse.Namespace,
    environment: Mapping[str, str],
    work_dir: Path,
    access_token: str,
) -> list[Measurement]:
    endpoints = benchmark_endpoints(access_token=access_token)
    server = RunningServer(
        kind, workers=arguments.workers, environment=environment, work_dir=work_dir
    )
    results: dict[str, list[Round]] = {endpoint.name: [] for endpoint in endpoints}
    try:
        server.wait_until_ready()
        for endpoint in endpoints:
            check_endpoint(server.base_url, endpoint)
            if arguments.warmup > 0:
                run_wrk(
                    server.base_url + endpoint.path,
                    endpoint,
                    seconds=arguments.warmup,
                    connections=arguments.connections,
                )
        # Rounds interleave the endpoints, so a slow spell of a shared machine hits them alike.
        for round_number in range(1, arguments.rounds + 1):
            for endpoint in endpoints:
                with ForeignCpu(server_group=server.process.pid) as foreign:
                    result = run_wrk(
                        server.base_url + endpoint.path,
                        endpoint,
                        seconds=arguments.duration,
                        connections=arguments.connections,
                    )
                results[endpoint.name].append(Round(result, foreign.share))
                print(
                    f"  {kind.label} round {round_number}/{arguments.rounds} {endpoint.path}: "
                    f"{result.requests_per_second:,.0f} req/s, "
                    f"other processes {foreign.share:.0%} of the CPU",
                    flush=True,
                )
    finally:
        server.stop()
    floor = statistics.median(r.wrk.requests_per_second for r in results[FLOOR_ENDPOINT])
    return [summarise(kind, endpoint, results[endpoint.name], floor) for endpoint in endpoints]


def summarise(
    kind: ServerKind, endpoint: Endpoint, rounds: Sequence[Round], floor: float
) -> Measurement:
    rates = [r.wrk.requests_per_second for r in rounds]
    median_rate = statistics.median(rates)
    return Measurement(
        endpoint=endpoint.name,
        path=endpoint.path,
        server=kind.label,
        rounds=len(rounds),
        requests_per_second=median_rate,
        requests_per_second_min=min(rates),
        requests_per_second_max=max(rates),
        p50_ms=statistics.median(r.wrk.p50_ms for r in rounds),
        p99_ms=statistics.median(r.wrk.p99_ms for r in rounds),
        requests=sum(r.wrk.requests for r in rounds),
        ratio_to_floor=median_rate / floor,
        foreign_cpu_share_max=max(r.foreign_cpu_share for r in rounds),
    )


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=["asgi", "sync", "both"], default="both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run [10]")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved runs per endpoint; medians shown [3]"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections [32]")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds first [2]")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers [2]")
    parser.add_argument(
        "--wsgi-threads", type=int, default=4, help="threads per gthread worker; 1 = sync [4]"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or None,
        help="default: $DATABASE_URL, else SQLite in the temporary data dir",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL") or None,
        help="default: $REDIS_URL, else the local-memory cache",
    )
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    arguments = parser.parse_args(argv)
    if min(arguments.duration, arguments.rounds, arguments.workers, arguments.wsgi_threads) < 1:
        parser.error("--duration, --rounds, --workers and --wsgi-threads must be at least 1")
    if arguments.connections < WRK_THREADS:
        parser.error(f"wrk needs at least as many connections as threads ({WRK_THREADS})")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if shutil.which(WRK) is None:
        print(
            "wrk is not installed: `apt-get install -y wrk` (Debian), then run again.",
            file=sys.stderr,
        )
        return 2
    kinds = server_kinds(wsgi_threads=arguments.wsgi_threads)
    chosen = list(kinds.values()) if arguments.server == "both" else [kinds[arguments.server]]
    facts = machine_facts(database_url=arguments.database_url, redis_url=arguments.redis_url)
    print("machine: " + ", ".join(f"{name} {value}" for name, value in facts.items()))
    print(
        f"load: wrk {WRK_THREADS} threads, {arguments.connections} connections, "
        f"{arguments.rounds} interleaved rounds of {arguments.duration} s per endpoint "
        f"after {arguments.warmup} s warm-up; "
        f"gunicorn {arguments.workers} workers; wrk shares the machine with the server"
    )
    print("settings: DEBUG off, LOG_LEVEL=WARNING, RATELIMIT_ENABLED=0 (rate limits off)")

    measurements: list[Measurement] = []
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
            for kind in chosen:
                measurements += measure_server(
                    kind,
                    arguments=arguments,
                    environment=environment,
                    work_dir=work_dir,
                    access_token=access_token,
                )
    except BenchmarkError as error:
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        return 1

    print()
    print(format_table(measurements))
    print()
    for m in measurements:
        if m.endpoint != FLOOR_ENDPOINT:
            print(f"{m.endpoint}/{FLOOR_ENDPOINT} req/s on {m.server}: {m.ratio_to_floor:.2f}")
    busiest = max(m.foreign_cpu_share_max for m in measurements)
    if busiest > FOREIGN_CPU_WARNING:
        print(
            f"\nWARNING: other processes used up to {busiest:.0%} of the machine's CPU during "
            "a round; these numbers are not from a quiet machine.",
            file=sys.stderr,
        )
    if arguments.json:
        document = {
            "machine": facts,
            "load": {
                "wrk_threads": WRK_THREADS,
                "connections": arguments.connections,
                "duration_seconds": arguments.duration,
                "rounds": arguments.rounds,
                "warmup_seconds": arguments.warmup,
                "gunicorn_workers": arguments.workers,
                "ratelimit_enabled": False,
            },
            "results": [asdict(m) for m in measurements],
        }
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(document, indent=2) + "\n")
        print(f"\nwrote {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
