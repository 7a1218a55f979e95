"""The shared load harness of bench/: closed-loop capacity (wrk) and open-loop latency.

Every bench measures the same way: first the capacity of each endpoint (closed loop, wrk,
interleaved rounds beside the `/hello` floor, unbalanced rounds discarded), then its latency
at a fixed offered load: Poisson arrivals at 25 %, 50 % and 75 % of THAT endpoint's capacity,
latency counted from each request's scheduled send time (so client-side queueing counts).

API (import it as the other benches import http_floor)::

    sys.path.insert(0, str(ROOT / "bench"))
    import http_floor
    import load

    parser = argparse.ArgumentParser()
    load.add_common_arguments(parser)   # --quick --rounds --duration --open-duration --warmup
                                        # --connections --json --database-url --redis-url
                                        # --server --workers --wsgi-threads --client-timeout
                                        # --max-client-connections --seed --fractions
    arguments = parser.parse_args()
    options = load.options_from_arguments(arguments)  # --quick shortens everything
    kind = load.server_kind(arguments)                # default: what `circlemart serve` runs
    server = http_floor.RunningServer(kind, workers=arguments.workers, environment=env,
                                      work_dir=work_dir)
    server.wait_until_ready()
    me = load.Target("me", "/api/v1/me", headers={"Authorization": f"Bearer {token}"},
                     check=lambda body: json.loads(body)["id"] > 0)
    report = load.measure(server.base_url, [me], options=options, server=server,
                          bench="http-floor", server_label=kind.label, machine=facts)
    load.print_report(report)
    if arguments.json:
        load.write_json(report, arguments.json)

- `Target(name, path, method="GET", headers={}, body=None, check=None, expect_status=200,
  variants=())`: `check(body: bytes)` must return something truthy (or raise) for a right
  answer; it runs once before measuring. `variants` is a sequence of `Request`s the load
  cycles through (several users' tokens, several queries); without it, the one request.
  A target expecting a 4xx (a refusal) counts that status as ok and wrk tolerates it.
- `measure(...) -> Report`; `print_report(report)`; `write_json(report, path)`.
  `Report.extra` is a free dict a bench fills with its own figures before write_json.
- Lower level: `open_loop(base_url, requests, rate=..., duration=..., arrivals="poisson")
  -> OpenLoopResult` (uvloop, raw keep-alive sockets), `capacity_round(...)`, `run_wrk(...)`,
  `poisson_schedule`/`constant_schedule`, `percentile`, `is_balanced`, `gunicorn_workers`.
- `python bench/load.py ceiling --rates 1000,2000,4000,8000`: what the generator itself
  offers against a trivial server in another process, before it falls behind.

Figures (docs/benchmarks.md says the same): capacity = median req/s of the kept rounds;
`vs hello` = capacity / the floor's capacity in the same run; a round is discarded (and
re-run, at most `MAX_ROUND_ATTEMPTS` times) when one gunicorn worker got less than
`BALANCE_SHARE` of its fair share of the workers' CPU; open-loop p50/p90/p99/max are over
every scheduled request, a timed-out one counting as the client timeout; "shed" = 503
answers; `client CPU` = the generator's CPU time / wall time; `behind` = the generator itself
was late (its own dispatch lag p99 > `BEHIND_LAG_MS`), so the offered rate was not offered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import http_floor  # noqa: E402  (a sibling script, not a package)

SCHEMA = "circlemart-bench-load/1"
FLOOR_NAME = "hello"
FRACTIONS = (0.25, 0.5, 0.75)
# A round is unbalanced when one worker got less than this share of its fair share of the
# workers' CPU (2 workers: < 30 % of the total).
BALANCE_SHARE = 0.6
# Attempts per (round, target) before an unbalanced round is kept anyway (and flagged).
MAX_ROUND_ATTEMPTS = 3
# The generator's own dispatch lag (p99) above which it says it fell behind its schedule.
BEHIND_LAG_MS = 10.0
CLIENT_TIMEOUT_SECONDS = 5.0
MAX_CLIENT_CONNECTIONS = 256
SWEEP_SECONDS = 0.02
# Rounds below this many worker CPU ticks are too short to judge their balance.
MIN_BALANCE_TICKS = 20
DEFAULT_SEED = 13

BenchmarkError = http_floor.BenchmarkError


# --- What to load -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    path: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class Target:
    """An endpoint to measure; `variants` (optional) are cycled through instead of `path`."""

    name: str
    path: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    check: Callable[[bytes], object] | None = None
    expect_status: int = 200
    variants: Sequence[Request] = ()

    def requests(self) -> list[Request]:
        if self.variants:
            return list(self.variants)
        return [Request(self.path, self.method, self.headers, self.body)]


def hello_target() -> Target:
    return Target(FLOOR_NAME, "/hello", check=lambda body: body == b"hello")


@dataclass(frozen=True)
class LoadOptions:
    rounds: int = 3
    duration: int = 10
    open_duration: float = 10.0
    warmup: int = 2
    connections: int = 32
    fractions: tuple[float, ...] = FRACTIONS
    arrivals: str = "poisson"
    client_timeout: float = CLIENT_TIMEOUT_SECONDS
    max_client_connections: int = MAX_CLIENT_CONNECTIONS
    seed: int = DEFAULT_SEED
    quick: bool = False


# --- Schedules and statistics (pure) ----------------------------------------------------------


def constant_schedule(rate: float, duration: float) -> list[float]:
    """Send offsets (seconds from the start) of `rate` evenly spaced arrivals per second."""
    if rate <= 0 or duration <= 0:
        return []
    count = math.floor(rate * duration + 1e-9)
    return [index / rate for index in range(count)]


def poisson_schedule(rate: float, duration: float, *, seed: int) -> list[float]:
    """Send offsets of a Poisson process of `rate` arrivals/s: exponential gaps, by seed."""
    if rate <= 0 or duration <= 0:
        return []
    generator = random.Random(seed)
    offsets: list[float] = []
    moment = generator.expovariate(rate)
    while moment < duration:
        offsets.append(moment)
        moment += generator.expovariate(rate)
    return offsets


def schedule(arrivals: str, rate: float, duration: float, *, seed: int) -> list[float]:
    if arrivals == "constant":
        return constant_schedule(rate, duration)
    if arrivals == "poisson":
        return poisson_schedule(rate, duration, seed=seed)
    raise ValueError(f"unknown arrivals {arrivals!r} (constant or poisson)")


def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1): the smallest sample with at least `share` of
    the samples at or below it; 0.0 without samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def is_balanced(shares: Sequence[float], *, share: float = BALANCE_SHARE) -> bool:
    """Whether every worker got at least `share` of its fair share of the workers' CPU."""
    if len(shares) < 2:
        return True
    return min(shares) >= share / len(shares)


def worker_shares(before: Mapping[int, int], after: Mapping[int, int]) -> tuple[list[float], int]:
    """Each worker's share of the CPU ticks the workers used between two samples (workers
    present in both), and the total; shares are empty below MIN_BALANCE_TICKS."""
    deltas = [after[pid] - before[pid] for pid in sorted(before) if pid in after]
    total = sum(deltas)
    if total < MIN_BALANCE_TICKS:
        return [], total
    return [delta / total for delta in deltas], total


# --- Processes and CPU --------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        # After "(command)": state ppid pgrp ... utime(11) stime(12)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None  # gone while we looked


def process_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[11]) + int(fields[12])


def _children(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == parent:
                children.append(int(entry.name))
    return sorted(children)


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def gunicorn_master(root: int) -> int | None:
    """The gunicorn master at or below `root` (a RunningServer's process is the master;
    under `circlemart serve` it is a child)."""
    pending = [root]
    while pending:
        pid = pending.pop(0)
        if "gunicorn" in _command_line(pid):
            return pid
        pending += _children(pid)
    return None


def gunicorn_workers(master: int) -> dict[int, int]:
    """CPU ticks so far of each worker (child) of a gunicorn master."""
    ticks = {}
    for pid in _children(master):
        used = process_ticks(pid)
        if used is not None:
            ticks[pid] = used
    return ticks


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


def _own_ticks() -> int:
    times = os.times()
    return round((times.user + times.system) * http_floor.CLOCK_TICKS)


def _waited_children_ticks() -> int:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * http_floor.CLOCK_TICKS)


class OtherCpu:
    """The share of the machine's CPU used by processes other than the server's process
    group, this process (the open-loop generator), its waited children (wrk) and the
    PostgreSQL and Redis servers (whose work for the server is part of the measurement)."""

    def __init__(self, *, server_group: int | None) -> None:
        self.server_group = server_group
        self.share = 0.0

    def _sample(self) -> tuple[float, int, int]:
        ours = _own_ticks() + _waited_children_ticks() + http_floor._service_ticks()
        if self.server_group is not None:
            ours += http_floor._process_group_ticks(self.server_group)
        return time.monotonic(), http_floor._machine_busy_ticks(), ours

    def __enter__(self) -> OtherCpu:
        self.start = self._sample()
        return self

    def __exit__(self, *exc_info: object) -> None:
        start_time, start_busy, start_ours = self.start
        end_time, end_busy, end_ours = self._sample()
        capacity = (end_time - start_time) * http_floor.CLOCK_TICKS * _cpus()
        others = end_busy - start_busy - (end_ours - start_ours)
        self.share = max(0.0, others / capacity) if capacity else 0.0


# --- Open loop ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenLoopResult:
    arrivals: str
    offered_rate: float
    duration_seconds: float
    scheduled: int
    sent: int
    achieved_rate: float
    completed: int
    ok: int
    shed: int
    error_responses: int
    connection_errors: int
    timeouts: int
    retries: int
    statuses: dict[str, int]
    goodput: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    shed_p99_ms: float
    service_p50_ms: float
    waited_for_connection: int
    connections_opened: int
    dispatch_lag_p99_ms: float
    dispatch_lag_max_ms: float
    behind_schedule: bool
    client_cpu_share: float
    other_cpu_share: float = 0.0


def _request_bytes(request: Request, host: str) -> bytes:
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    if request.body is not None or request.method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(request.body or b'')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (request.body or b"")


def chunked_body_end(buffer: bytes | bytearray, start: int) -> int:
    """Index just past a complete chunked body starting at `start`, or -1 if incomplete."""
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return -1
        size = int(bytes(buffer[position:line_end]).split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            if buffer[line_end + 2 : line_end + 4] == b"\r\n":
                return line_end + 4
            trailers_end = buffer.find(b"\r\n\r\n", line_end)
            return -1 if trailers_end < 0 else trailers_end + 4
        position = line_end + 2 + size + 2
        if position > len(buffer):
            return -1


@dataclass
class _Pending:
    scheduled: float
    payload: bytes
    is_head: bool
    sent_at: float = 0.0
    attempts: int = 0


@dataclass
class _ResponseHead:
    status: int
    body_start: int
    length: int | None
    chunked: bool
    close: bool


def parse_response_head(buffer: bytes | bytearray, *, is_head: bool) -> _ResponseHead | None:
    """Status and framing of the response at the start of `buffer` (None: head incomplete)."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length: int | None = None
    chunked = close = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = "chunked" in value
        elif name == "connection":
            close = value == "close"
    if is_head or status in (204, 304) or 100 <= status < 200:
        length, chunked = 0, False
    return _ResponseHead(status, end + 4, length, chunked, close)


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time (no pipelining)."""

    def __init__(self, client: _OpenLoop) -> None:
        self.client = client
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.current: _Pending | None = None
        self.head: _ResponseHead | None = None
        self.received_any = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def send(self, pending: _Pending) -> None:
        assert self.transport is not None
        self.current, self.head, self.received_any = pending, None, False
        self.buffer.clear()
        pending.sent_at = self.client.loop.time()
        pending.attempts += 1
        self.transport.write(pending.payload)

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        self.buffer += data
        if self.current is None:
            return
        if self.head is None:
            self.head = parse_response_head(self.buffer, is_head=self.current.is_head)
            if self.head is None:
                return
        head = self.head
        if head.length is not None:
            if len(self.buffer) < head.body_start + head.length:
                return
        elif head.chunked:
            if chunked_body_end(self.buffer, head.body_start) < 0:
                return
        else:
            return  # framed by the end of the connection
        self._finish(head.status, keep=not head.close)

    def _finish(self, status: int, *, keep: bool) -> None:
        pending, self.current, self.head = self.current, None, None
        self.buffer.clear()
        assert pending is not None
        self.client.answered(self, pending, status, keep=keep)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.current is not None and self.head is not None and self.head.length is None:
            self._finish(self.head.status, keep=False)  # a body framed by the close
            return
        pending, self.current = self.current, None
        self.client.lost(self, pending, received_any=self.received_any)

    def abort(self) -> None:
        self.current = None
        if self.transport is not None:
            self.transport.abort()


class _OpenLoop:
    """Sends each request at its scheduled time on an idle keep-alive connection, opening
    more (up to a cap) when none is idle; past the cap requests queue in the client."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        payloads: Sequence[tuple[bytes, bool]],
        timeout: float,
        max_connections: int,
        expect_status: int = 200,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.expect_status = expect_status
        self.host, self.port = host, port
        self.payloads = payloads
        self.timeout = timeout
        self.max_connections = max_connections
        self.idle: list[_Connection] = []
        self.busy: set[_Connection] = set()
        self.opening = 0
        self.waiting: deque[_Pending] = deque()
        self.statuses: Counter[int] = Counter()
        self.latencies = array("d")
        self.ok_latencies = array("d")
        self.shed_latencies = array("d")
        self.service_times = array("d")
        self.lags = array("d")
        self.sent = self.connection_errors = self.timeouts = self.retries = 0
        self.waited_for_connection = self.connections_opened = 0
        self.outstanding = 0

    # Dispatch

    async def run(self, offsets: Sequence[float]) -> float:
        sweeper = self.loop.create_task(self._sweep())
        start = self.loop.time() + 0.02
        index, count = 0, len(offsets)
        while index < count:
            now = self.loop.time()
            due = start + offsets[index]
            if due > now:
                await asyncio.sleep(due - now)
                continue
            while index < count and start + offsets[index] <= now:
                scheduled = start + offsets[index]
                self.lags.append(now - scheduled)
                payload, is_head = self.payloads[index % len(self.payloads)]
                self.outstanding += 1
                self._submit(_Pending(scheduled, payload, is_head))
                index += 1
        sent_until = self.loop.time()
        drain_deadline = sent_until + self.timeout + 1.0
        while self.outstanding and self.loop.time() < drain_deadline:
            await asyncio.sleep(SWEEP_SECONDS)
        sweeper.cancel()
        for connection in [*self.idle, *self.busy]:
            connection.abort()
        return sent_until - start

    def _submit(self, pending: _Pending) -> None:
        while self.idle:
            connection = self.idle.pop()
            if not connection.closed:
                self._send(connection, pending)
                return
        if len(self.busy) + self.opening < self.max_connections:
            self.loop.create_task(self._open_and_send(pending))
        else:
            self.waited_for_connection += 1
            self.waiting.append(pending)

    def _send(self, connection: _Connection, pending: _Pending) -> None:
        self.busy.add(connection)
        if pending.attempts == 0:
            self.sent += 1
        connection.send(pending)

    async def _open_and_send(self, pending: _Pending) -> None:
        self.opening += 1
        try:
            _transport, connection = await self.loop.create_connection(
                lambda: _Connection(self), self.host, self.port
            )
        except OSError:
            self.opening -= 1
            self.connection_errors += 1
            self._done(pending, None)
            return
        self.opening -= 1
        self.connections_opened += 1
        self._send(connection, pending)

    # Completion

    def answered(
        self, connection: _Connection, pending: _Pending, status: int, *, keep: bool
    ) -> None:
        self.busy.discard(connection)
        self._done(pending, status)
        if keep and not connection.closed:
            self._release(connection)
        else:
            connection.abort()

    def lost(
        self, connection: _Connection, pending: _Pending | None, *, received_any: bool
    ) -> None:
        self.busy.discard(connection)
        with contextlib.suppress(ValueError):
            self.idle.remove(connection)
        if pending is None:
            return
        if not received_any and pending.attempts < 2:
            # The server closed a kept-alive connection as we reused it: send again once.
            self.retries += 1
            self._submit(pending)
            return
        self.connection_errors += 1
        self._done(pending, None)

    def _release(self, connection: _Connection) -> None:
        now = self.loop.time()
        while self.waiting:
            pending = self.waiting.popleft()
            if now - pending.scheduled < self.timeout:
                self._send(connection, pending)
                return
            self._time_out(pending)
        self.idle.append(connection)

    def _done(self, pending: _Pending, status: int | None) -> None:
        self.outstanding -= 1
        now = self.loop.time()
        if status is None:
            return
        latency = now - pending.scheduled
        self.statuses[status] += 1
        self.latencies.append(latency)
        self.service_times.append(now - pending.sent_at)
        if status == self.expect_status or (status < 400 and self.expect_status < 400):
            self.ok_latencies.append(latency)
        elif status == 503:
            self.shed_latencies.append(latency)

    def _time_out(self, pending: _Pending) -> None:
        self.outstanding -= 1
        self.timeouts += 1
        self.latencies.append(self.timeout)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now = self.loop.time()
            while self.waiting and now - self.waiting[0].scheduled >= self.timeout:
                self._time_out(self.waiting.popleft())
            for connection in list(self.busy):
                pending = connection.current
                if pending is not None and now - pending.scheduled >= self.timeout:
                    self.busy.discard(connection)
                    connection.abort()
                    self._time_out(pending)


def open_loop(
    base_url: str,
    requests: Sequence[Request],
    *,
    rate: float,
    duration: float,
    arrivals: str = "poisson",
    seed: int = DEFAULT_SEED,
    timeout: float = CLIENT_TIMEOUT_SECONDS,
    max_connections: int = MAX_CLIENT_CONNECTIONS,
    expect_status: int = 200,
) -> OpenLoopResult:
    """Offer `rate` requests/s for `duration` seconds (cycling through `requests`) and report
    latency from each request's scheduled send time. "ok" = the expected status (any status
    below 400 when that is below 400); "shed" = 503; the rest are error responses."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    offsets = schedule(arrivals, rate, duration, seed=seed)
    netloc = parts.netloc
    payloads = [(_request_bytes(r, netloc), r.method == "HEAD") for r in requests]

    async def go() -> tuple[_OpenLoop, float]:
        client = _OpenLoop(
            host=host,
            port=port,
            payloads=payloads,
            timeout=timeout,
            max_connections=max_connections,
            expect_status=expect_status,
        )
        return client, await client.run(offsets)

    wall_start, cpu_start = time.monotonic(), time.process_time()
    with _runner() as runner:
        client, sending_seconds = runner.run(go())
    wall, cpu = time.monotonic() - wall_start, time.process_time() - cpu_start
    return _summarise_open_loop(
        client,
        arrivals=arrivals,
        rate=rate,
        duration=duration,
        scheduled=len(offsets),
        sending_seconds=sending_seconds,
        cpu_share=cpu / wall if wall else 0.0,
    )


@contextlib.contextmanager
def _runner() -> Iterator[asyncio.Runner]:
    try:
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:  # the stdlib loop keeps up with less
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        yield runner


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def _summarise_open_loop(
    client: _OpenLoop,
    *,
    arrivals: str,
    rate: float,
    duration: float,
    scheduled: int,
    sending_seconds: float,
    cpu_share: float,
) -> OpenLoopResult:
    latencies = client.latencies
    ok = len(client.ok_latencies)
    shed = len(client.shed_latencies)
    answered = sum(client.statuses.values())
    lag_p99 = _ms(percentile(client.lags, 0.99))
    return OpenLoopResult(
        arrivals=arrivals,
        offered_rate=round(rate, 2),
        duration_seconds=duration,
        scheduled=scheduled,
        sent=client.sent,
        achieved_rate=round(client.sent / max(sending_seconds, duration), 2),
        completed=answered,
        ok=ok,
        shed=shed,
        error_responses=answered - ok - shed,
        connection_errors=client.connection_errors,
        timeouts=client.timeouts,
        retries=client.retries,
        statuses={str(status): count for status, count in sorted(client.statuses.items())},
        goodput=round(ok / duration, 2) if duration else 0.0,
        p50_ms=_ms(percentile(latencies, 0.50)),
        p90_ms=_ms(percentile(latencies, 0.90)),
        p99_ms=_ms(percentile(latencies, 0.99)),
        max_ms=_ms(max(latencies, default=0.0)),
        shed_p99_ms=_ms(percentile(client.shed_latencies, 0.99)),
        service_p50_ms=_ms(percentile(client.service_times, 0.50)),
        waited_for_connection=client.waited_for_connection,
        connections_opened=client.connections_opened,
        dispatch_lag_p99_ms=lag_p99,
        dispatch_lag_max_ms=_ms(max(client.lags, default=0.0)),
        behind_schedule=lag_p99 > BEHIND_LAG_MS,
        client_cpu_share=round(cpu_share, 3),
    )


# --- Closed loop (wrk) --------------------------------------------------------------------------

_LUA_HEAD = """-- written by bench/load.py: cycles through the target's requests
local requests = {}
"""
_LUA_TAIL = """local index = 0
request = function()
  index = index % #requests + 1
  return requests[index]
end
"""


def _lua_string(text: str | bytes) -> str:
    raw = text if isinstance(text, bytes) else text.encode()
    return '"' + "".join(f"\\{byte:03d}" for byte in raw) + '"'


def wrk_script(requests: Sequence[Request]) -> str:
    """A wrk Lua script that cycles through `requests` (method, path, headers, body)."""
    lines = [_LUA_HEAD]
    for number, request in enumerate(requests, start=1):
        headers = ", ".join(
            f"[{_lua_string(name)}] = {_lua_string(value)}"
            for name, value in request.headers.items()
        )
        body = "nil" if request.body is None else _lua_string(request.body)
        lines.append(
            f"requests[{number}] = wrk.format({_lua_string(request.method)}, "
            f"{_lua_string(request.path)}, {{{headers}}}, {body})\n"
        )
    lines.append(_LUA_TAIL)
    return "".join(lines)


def _needs_script(target: Target) -> bool:
    requests = target.requests()
    return len(requests) > 1 or requests[0].method != "GET" or requests[0].body is not None


def run_wrk(
    base_url: str,
    target: Target,
    *,
    seconds: int,
    connections: int,
    tolerate_errors: bool = False,
    server_log: Callable[[], str] | None = None,
) -> http_floor.WrkResult:
    """wrk against `target` (a Lua script cycles when it has variants, a body or a method);
    error responses or socket errors stop the bench unless tolerated (the error then shows
    the end of the server's log, when `server_log` gives it)."""
    command = [
        http_floor.WRK,
        f"--threads={http_floor.WRK_THREADS}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",  # a slow answer is latency, not a socket error
        "--latency",
    ]
    with tempfile.TemporaryDirectory(prefix="circlemart-wrk-") as temporary:
        if _needs_script(target):
            script = Path(temporary) / "requests.lua"
            script.write_text(wrk_script(target.requests()))
            command += ["--script", str(script)]
        else:
            for name, value in target.headers.items():
                command += ["--header", f"{name}: {value}"]
        command.append(base_url + target.requests()[0].path)
        completed = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=seconds + 60
        )
    if completed.returncode != 0:
        raise BenchmarkError(f"wrk exited {completed.returncode}:\n{completed.stderr}")
    result = http_floor.parse_wrk(completed.stdout)
    if not tolerate_errors and (result.error_responses or result.socket_errors):
        raise BenchmarkError(
            f"{target.path}: {result.error_responses} error responses and "
            f"{result.socket_errors} socket errors out of {result.requests} requests; "
            f"the numbers would be meaningless.\n{completed.stdout}"
            + (f"\nThe server's log ends with:\n{server_log()}" if server_log else "")
        )
    return result


@dataclass(frozen=True)
class CapacityRound:
    target: str
    round: int
    attempt: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    worker_split: list[float]
    balanced: bool
    kept: bool
    other_cpu_share: float


def capacity_round(
    base_url: str,
    target: Target,
    *,
    options: LoadOptions,
    master: int | None,
    round_number: int,
    attempt: int,
    server_log: Callable[[], str] | None = None,
) -> CapacityRound:
    """One wrk run with the workers' CPU split and other processes' CPU around it."""
    before = gunicorn_workers(master) if master else {}
    with OtherCpu(server_group=_group_of(master)) as others:
        result = run_wrk(
            base_url,
            target,
            seconds=options.duration,
            connections=options.connections,
            tolerate_errors=target.expect_status >= 400,
            server_log=server_log,
        )
    shares, _total = worker_shares(before, gunicorn_workers(master) if master else {})
    balanced = is_balanced(shares)
    return CapacityRound(
        target=target.name,
        round=round_number,
        attempt=attempt,
        requests_per_second=result.requests_per_second,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        requests=result.requests,
        worker_split=[round(share, 3) for share in shares],
        balanced=balanced,
        kept=balanced,
        other_cpu_share=round(others.share, 3),
    )


def _group_of(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def balanced_round(
    base_url: str,
    target: Target,
    *,
    options: LoadOptions,
    master: int | None,
    round_number: int,
    log: Callable[[str], None],
    server_log: Callable[[], str] | None = None,
) -> list[CapacityRound]:
    """Attempts until one is balanced (at most MAX_ROUND_ATTEMPTS); the last one is kept
    anyway, flagged unbalanced. Returns every attempt (discarded ones with kept=False)."""
    attempts: list[CapacityRound] = []
    for attempt in range(1, MAX_ROUND_ATTEMPTS + 1):
        wait_until_idle(base_url)
        result = capacity_round(
            base_url,
            target,
            options=options,
            master=master,
            round_number=round_number,
            attempt=attempt,
            server_log=server_log,
        )
        split = "/".join(f"{share:.0%}" for share in result.worker_split) or "n/a"
        last = attempt == MAX_ROUND_ATTEMPTS
        if not result.balanced and last:
            result = _replace_kept(result)
        verdict = (
            ("kept" if result.balanced else f"kept, still unbalanced after {attempt} attempts")
            if result.kept
            else "DISCARDED (unbalanced workers)"
        )
        log(
            f"  round {round_number} {target.path}: {result.requests_per_second:,.0f} req/s, "
            f"workers {split}, others {result.other_cpu_share:.0%} of the CPU: {verdict}"
        )
        attempts.append(result)
        wait_until_idle(base_url)
        if result.kept:
            break
    return attempts


def _replace_kept(result: CapacityRound) -> CapacityRound:
    values = asdict(result)
    values["kept"] = True
    return CapacityRound(**values)


def wait_until_idle(base_url: str, *, within: float = 20.0, prompt_in_a_row: int = 4) -> None:
    """After a closed-loop run the workers may still hold wrk's queued requests (their
    clients gone): wait until /hello answers promptly several times in a row (each on a new
    connection, so on either worker), so the next run does not pay for — or get shed behind —
    the last one's backlog."""
    deadline = time.monotonic() + within
    prompt = 0
    while time.monotonic() < deadline and prompt < prompt_in_a_row:
        started = time.perf_counter()
        try:
            status, _type, _body = http_floor.fetch(base_url + "/hello")
        except OSError:
            status = 0
        if status == 200 and time.perf_counter() - started < 0.05:
            prompt += 1
            continue
        prompt = 0
        time.sleep(0.2)


# --- Checks -------------------------------------------------------------------------------------


def request_once(base_url: str, request: Request, *, timeout: float = 30.0) -> tuple[int, bytes]:
    """(status, body) of one request, redirects not followed."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout
    )
    try:
        connection.request(request.method, request.path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def check_target(base_url: str, target: Target) -> None:
    """Every variant answers the expected status; the first passes `check` (JSON for /api/)."""
    for number, request in enumerate(target.requests()):
        status, body = request_once(base_url, request)
        if status != target.expect_status:
            raise BenchmarkError(
                f"{target.name}: {request.method} {request.path} answered {status} "
                f"(expected {target.expect_status}): {body[:300]!r}"
            )
        if number:
            continue
        if request.path.startswith("/api/"):
            try:
                json.loads(body)
            except ValueError as error:
                raise BenchmarkError(f"{target.name}: not JSON: {body[:300]!r}") from error
        if target.check is not None:
            try:
                verdict = target.check(body)
            except Exception as error:  # a failed check of any kind is a wrong answer
                raise BenchmarkError(f"{target.name}: check failed ({error!r})") from error
            if not verdict:
                raise BenchmarkError(f"{target.name}: wrong answer: {body[:300]!r}")


# --- Measure ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenLoopPoint:
    fraction: float
    result: OpenLoopResult


@dataclass(frozen=True)
class TargetReport:
    name: str
    path: str
    method: str
    variants: int
    capacity: float
    capacity_min: float
    capacity_max: float
    ratio_to_floor: float
    rounds_kept: int
    rounds_discarded: int
    unbalanced_kept: int
    wrk_p50_ms: float
    wrk_p99_ms: float
    rounds: list[CapacityRound]
    open_loop: list[OpenLoopPoint]


@dataclass
class Report:
    bench: str
    server: str
    created: str
    machine: dict[str, str]
    options: dict[str, Any]
    floor: TargetReport
    targets: list[TargetReport]
    load_average_before: float
    load_average_after: float
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def all_targets(self) -> list[TargetReport]:
        return [self.floor, *self.targets]


def _server_pid(server: object) -> int | None:
    if server is None:
        return None
    if isinstance(server, int):
        return server
    process = getattr(server, "process", None)
    pid = getattr(process, "pid", None)
    return pid if isinstance(pid, int) else None


def measure(
    base_url: str,
    targets: Sequence[Target],
    *,
    options: LoadOptions,
    floor: Target | None = None,
    server: object = None,
    bench: str = "bench",
    server_label: str = "",
    machine: Mapping[str, str] | None = None,
    log: Callable[[str], None] | None = None,
) -> Report:
    """Check, warm up, closed-loop rounds (interleaved, balanced), then the open-loop points.

    `server`: a RunningServer (or anything with `.process.pid`) or a pid at or above the
    gunicorn master; without it the balance guard and the server's CPU are not measured."""
    say = log or (lambda line: print(line, flush=True))
    floor = floor or hello_target()
    everything = [floor, *targets]
    root = _server_pid(server)
    master = gunicorn_master(root) if root else None
    server_log = getattr(server, "log_tail", None)
    load_before = os.getloadavg()[0]
    for target in everything:
        check_target(base_url, target)
    if options.warmup > 0:
        for target in everything:
            warmup = run_wrk(
                base_url,
                target,
                seconds=options.warmup,
                connections=options.connections,
                # A cold worker's first requests (imports, dictionaries, connections) can keep
                # the others queued past the admission deadline: those 503s are not the answer
                # being measured. check_target above has already vetted the answer.
                tolerate_errors=True,
            )
            if warmup.error_responses and target.expect_status < 400:
                say(f"  warm-up {target.name}: {warmup.error_responses} error responses (ignored)")
        wait_until_idle(base_url)
    rounds: dict[str, list[CapacityRound]] = {target.name: [] for target in everything}
    # Interleaved: a slow spell of a shared machine hits every target alike.
    for round_number in range(1, options.rounds + 1):
        for target in everything:
            rounds[target.name] += balanced_round(
                base_url,
                target,
                options=options,
                master=master,
                round_number=round_number,
                log=say,
                server_log=server_log,
            )
    capacity = {name: _median_kept(kept) for name, kept in rounds.items()}
    points: dict[str, list[OpenLoopPoint]] = {target.name: [] for target in everything}
    for index, fraction in enumerate(options.fractions):
        for target in everything:
            point = _open_loop_point(
                base_url, target, capacity[target.name], fraction, options, root, seed_offset=index
            )
            points[target.name].append(point)
            say(_open_loop_line(target, point))
            wait_until_idle(base_url)
    floor_capacity = capacity[floor.name]
    reports = [
        _target_report(target, rounds[target.name], points[target.name], floor_capacity)
        for target in everything
    ]
    return Report(
        bench=bench,
        server=server_label,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=dict(machine or {}),
        options=asdict(options),
        floor=reports[0],
        targets=reports[1:],
        load_average_before=round(load_before, 2),
        load_average_after=round(os.getloadavg()[0], 2),
    )


def _median_kept(rounds: Sequence[CapacityRound]) -> float:
    return statistics.median(r.requests_per_second for r in rounds if r.kept)


def _open_loop_point(
    base_url: str,
    target: Target,
    capacity: float,
    fraction: float,
    options: LoadOptions,
    root: int | None,
    *,
    seed_offset: int,
) -> OpenLoopPoint:
    with OtherCpu(server_group=_group_of(root)) as others:
        result = open_loop(
            base_url,
            target.requests(),
            rate=capacity * fraction,
            duration=options.open_duration,
            arrivals=options.arrivals,
            seed=options.seed + seed_offset,
            timeout=options.client_timeout,
            max_connections=options.max_client_connections,
            expect_status=target.expect_status,
        )
    values = asdict(result)
    values["other_cpu_share"] = round(others.share, 3)
    return OpenLoopPoint(fraction=fraction, result=OpenLoopResult(**values))


def _open_loop_line(target: Target, point: OpenLoopPoint) -> str:
    r = point.result
    behind = ", GENERATOR BEHIND SCHEDULE" if r.behind_schedule else ""
    return (
        f"  open loop {target.path} at {point.fraction:.0%} ({r.offered_rate:,.0f} req/s "
        f"offered, {r.achieved_rate:,.0f} sent): p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
        f"{r.ok} ok, {r.shed} shed, {r.error_responses + r.connection_errors} errors, "
        f"{r.timeouts} timeouts, client CPU {r.client_cpu_share:.0%}{behind}"
    )


def _target_report(
    target: Target,
    rounds: Sequence[CapacityRound],
    points: Sequence[OpenLoopPoint],
    floor_capacity: float,
) -> TargetReport:
    kept = [r for r in rounds if r.kept]
    rates = [r.requests_per_second for r in kept]
    capacity = statistics.median(rates)
    return TargetReport(
        name=target.name,
        path=target.path,
        method=target.method,
        variants=len(target.requests()),
        capacity=round(capacity, 1),
        capacity_min=min(rates),
        capacity_max=max(rates),
        ratio_to_floor=round(capacity / floor_capacity, 4) if floor_capacity else 0.0,
        rounds_kept=len(kept),
        rounds_discarded=len(rounds) - len(kept),
        unbalanced_kept=sum(1 for r in kept if not r.balanced),
        wrk_p50_ms=statistics.median(r.p50_ms for r in kept),
        wrk_p99_ms=statistics.median(r.p99_ms for r in kept),
        rounds=list(rounds),
        open_loop=list(points),
    )


# --- Output -------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1) -> str:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def capacity_table(report: Report) -> str:
    header = ("target", "req/s", "range", f"vs {FLOOR_NAME}", "rounds", "discarded", "others")
    rows = [
        (
            t.name,
            f"{t.capacity:,.0f}",
            f"{t.capacity_min:,.0f}-{t.capacity_max:,.0f}",
            f"{t.ratio_to_floor:.3f}",
            str(t.rounds_kept) + ("*" if t.unbalanced_kept else ""),
            str(t.rounds_discarded),
            f"{max(r.other_cpu_share for r in t.rounds):.0%}",
        )
        for t in report.all_targets()
    ]
    return _table(header, rows)


def open_loop_table(report: Report) -> str:
    header = (
        "target",
        "load",
        "offered",
        "sent/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "ok",
        "shed",
        "errors",
        "timeouts",
        "client CPU",
        "behind",
    )
    rows = []
    for t in report.all_targets():
        for point in t.open_loop:
            r = point.result
            rows.append(
                (
                    t.name,
                    f"{point.fraction:.0%}",
                    f"{r.offered_rate:,.0f}",
                    f"{r.achieved_rate:,.0f}",
                    f"{r.p50_ms:.1f}",
                    f"{r.p90_ms:.1f}",
                    f"{r.p99_ms:.1f}",
                    f"{r.max_ms:.1f}",
                    str(r.ok),
                    str(r.shed),
                    str(r.error_responses + r.connection_errors),
                    str(r.timeouts),
                    f"{r.client_cpu_share:.0%}",
                    "yes" if r.behind_schedule else "no",
                )
            )
    return _table(header, rows)


def print_report(report: Report) -> None:
    print()
    print(f"{report.bench} on {report.server or 'the server'}: closed-loop capacity (wrk)")
    print(capacity_table(report))
    if any(t.unbalanced_kept for t in report.all_targets()):
        print("* includes a round kept although its workers stayed unbalanced")
    print()
    print(f"open loop, {report.options['arrivals']} arrivals, latency from the scheduled send")
    print(open_loop_table(report))
    print(
        f"load average {report.load_average_before:.2f} before, "
        f"{report.load_average_after:.2f} after"
    )
    for note in report.notes:
        print(note)
    busiest = max(
        [r.other_cpu_share for t in report.all_targets() for r in t.rounds]
        + [p.result.other_cpu_share for t in report.all_targets() for p in t.open_loop]
    )
    if busiest > http_floor.FOREIGN_CPU_WARNING:
        print(
            f"WARNING: other processes used up to {busiest:.0%} of the machine's CPU during a "
            "run; these numbers are not from a quiet machine (read the ratios to hello)."
        )
    if any(p.result.behind_schedule for t in report.all_targets() for p in t.open_loop):
        print(
            "WARNING: the generator fell behind its schedule somewhere (behind = yes): those "
            "latencies include its own lateness and the load offered was lower."
        )


def report_document(report: Report) -> dict[str, Any]:
    return {"schema": SCHEMA, **asdict(report)}


def write_json(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


# --- Command line -------------------------------------------------------------------------------


def serve_default_server() -> str:
    """What `circlemart serve` runs without --server (CIRCLEMART_SERVER, else wsgi)."""
    return os.environ.get("CIRCLEMART_SERVER", "wsgi").strip() or "wsgi"


def add_common_arguments(
    parser: argparse.ArgumentParser, *, servers: Sequence[str] = ("wsgi", "asgi", "sync")
) -> None:
    """The options every bench shares; `--server sync` is the old name of wsgi."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run for CI: 1 round of 1 s, 1 s open-loop points; checks answers, "
        "asserts no speed",
    )
    parser.add_argument("--rounds", type=int, help="interleaved closed-loop rounds [3]")
    parser.add_argument("--duration", type=int, help="seconds per wrk round [10]")
    parser.add_argument("--open-duration", type=float, help="seconds per open-loop point [10]")
    parser.add_argument("--warmup", type=int, help="unmeasured wrk seconds per target first [2]")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections [32]")
    parser.add_argument(
        "--fractions",
        default=",".join(str(f) for f in FRACTIONS),
        help="open-loop loads as shares of each target's capacity [0.25,0.5,0.75]",
    )
    parser.add_argument("--arrivals", choices=["poisson", "constant"], default="poisson")
    parser.add_argument(
        "--client-timeout",
        type=float,
        default=CLIENT_TIMEOUT_SECONDS,
        help=f"open-loop client timeout, from the scheduled send [{CLIENT_TIMEOUT_SECONDS}]",
    )
    parser.add_argument(
        "--max-client-connections",
        type=int,
        default=MAX_CLIENT_CONNECTIONS,
        help=f"open-loop connection pool cap [{MAX_CLIENT_CONNECTIONS}]",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Poisson arrivals' seed")
    parser.add_argument(
        "--server",
        choices=list(servers),
        default=serve_default_server(),
        help="what `circlemart serve` runs by default unless told [%(default)s]",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers [2]")
    parser.add_argument(
        "--wsgi-threads",
        type=int,
        default=int(os.environ.get("WEB_THREADS", "4")),
        help="threads per gthread worker, as serve's WEB_THREADS [4]",
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
    parser.add_argument("--json", type=Path, help="also write the figures to this file")


def options_from_arguments(arguments: argparse.Namespace) -> LoadOptions:
    quick = bool(arguments.quick)

    def pick(value: Any, normal: Any, short: Any) -> Any:
        return value if value is not None else (short if quick else normal)

    fractions = tuple(float(part) for part in str(arguments.fractions).split(",") if part)
    options = LoadOptions(
        rounds=pick(arguments.rounds, 3, 1),
        duration=pick(arguments.duration, 10, 1),
        open_duration=pick(arguments.open_duration, 10.0, 1.0),
        warmup=pick(arguments.warmup, 2, 0),
        connections=arguments.connections,
        fractions=fractions,
        arrivals=arguments.arrivals,
        client_timeout=arguments.client_timeout,
        max_client_connections=arguments.max_client_connections,
        seed=arguments.seed,
        quick=quick,
    )
    if min(options.rounds, options.duration, options.connections) < 1:
        raise SystemExit("--rounds, --duration and --connections must be at least 1")
    if options.connections < http_floor.WRK_THREADS:
        raise SystemExit(f"wrk needs at least {http_floor.WRK_THREADS} connections")
    if not fractions or any(not 0 < f <= 4 for f in fractions):
        raise SystemExit("--fractions: shares of capacity between 0 and 4")
    return options


def server_kind(arguments: argparse.Namespace) -> http_floor.ServerKind:
    kinds = http_floor.server_kinds(wsgi_threads=arguments.wsgi_threads)
    return kinds["asgi"] if arguments.server == "asgi" else kinds["sync"]


# --- What the generator itself can offer ------------------------------------------------------

_TRIVIAL_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"


class _TrivialHttp(asyncio.Protocol):
    """Answers every request head with a fixed 200: a server that costs next to nothing."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            _head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self.transport.write(_TRIVIAL_RESPONSE)


def serve_trivial(port: int) -> None:
    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_TrivialHttp, "127.0.0.1", port)
        await server.serve_forever()

    with _runner() as runner:
        runner.run(serve())


def generator_ceiling(rates: Sequence[float], *, duration: float) -> list[OpenLoopResult]:
    """Open loop against a trivial server in another process, at each rate: what this
    machine's generator offers before it falls behind its schedule."""
    port = http_floor.free_port()
    server = subprocess.Popen([sys.executable, __file__, "serve-trivial", str(port)])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                request_once(f"http://127.0.0.1:{port}", Request("/"), timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        return [
            open_loop(f"http://127.0.0.1:{port}", [Request("/")], rate=rate, duration=duration)
            for rate in rates
        ]
    finally:
        server.kill()
        server.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bench/load.py's own tools")
    commands = parser.add_subparsers(dest="command", required=True)
    ceiling = commands.add_parser("ceiling", help="what the open-loop generator can offer")
    ceiling.add_argument("--rates", default="1000,2000,4000,8000")
    ceiling.add_argument("--duration", type=float, default=3.0)
    trivial = commands.add_parser("serve-trivial", help=argparse.SUPPRESS)
    trivial.add_argument("port", type=int)
    arguments = parser.parse_args(argv)
    if arguments.command == "serve-trivial":
        serve_trivial(arguments.port)
        return 0
    rates = [float(rate) for rate in arguments.rates.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f} on {_cpus()} cores")
    header = ("offered", "sent/s", "p50 ms", "p99 ms", "lag p99 ms", "client CPU", "behind")
    rows = [
        (
            f"{r.offered_rate:,.0f}",
            f"{r.achieved_rate:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.dispatch_lag_p99_ms:.2f}",
            f"{r.client_cpu_share:.0%}",
            "yes" if r.behind_schedule else "no",
        )
        for r in generator_ceiling(rates, duration=arguments.duration)
    ]
    print(_table(header, rows, left=0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
