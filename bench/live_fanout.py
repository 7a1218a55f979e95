"""Live-room fan-out benchmark: 1,000 websocket viewers in one room, the host chatting at a fixed
rate; delivered messages/s, delivery latency p50/p99 and lost messages, beside a floor measured
in the same run.

Three rows, each against a fresh server process on this machine:

  floor             a bare broadcast server written with the `websockets` library: it numbers
                    each message from the host and `websockets.broadcast()`s it to every viewer
  asgi in-memory    the live server exactly as `circlemart serve` starts it (uvicorn,
                    `circlemart.config.asgi:application`, one process, in-memory channel layer)
  asgi redis        the same with REDIS_URL set (the Redis channel layer)

The host's messages travel the real path: the room's host signs in with a bearer token and sends
`{"type": "chat", "text": …}` frames over its own websocket; the consumer checks them (length,
moderation filter; hosts are exempt from rate limit and slow mode), logs each one with the
room's next sequence number (RoomMessage, in the database) and group-sends it through the
channel layer to every viewer's consumer, which writes it to its socket.

Every text carries the host's send time (time.time(), the same clock for every process on this
machine): latency = receive time − send time. Each viewer keeps the sequence numbers it received:
"lost" counts deliveries that had not arrived when the run ended (the host's last message plus
a drain of DRAIN_SECONDS; must be 0), "gaps" a sequence number skipped on a connection, "dup" one
received twice, "dropped" viewers whose connection the server closed.
Viewers are anonymous, spread over client processes (asyncio + `websockets`), one per core by
default; the clients share the machine with the server.

    .venv/bin/python bench/live_fanout.py                 # 1,000 viewers, 20 msg/s for 30 s
    .venv/bin/python bench/live_fanout.py --quick         # 100 viewers, 20 msg/s for 5 s
    .venv/bin/python bench/live_fanout.py --redis-url redis://127.0.0.1:6379/12 --json var/live.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

import http_floor  # noqa: E402  (a sibling script, not a package)

END_MARK = "bench end"
CONNECT_CONCURRENCY = 50
SERVER_START_TIMEOUT = 90.0
CONNECT_TIMEOUT = 180.0
DRAIN_SECONDS = 20.0
TARGET_RATIO = 0.5
TARGET_P99_MS = 250.0

SETUP_SNIPPET = """
from django.utils import timezone
from circlemart.accounts.services import token_pair_issue, user_register_with_email
from circlemart.live.models import Room
host = user_register_with_email(email={email!r}, password={password!r}, nickname="bench host")
now = timezone.now()
room = Room.objects.create(
    host=host, title="Bench room", state="live", scheduled_start=now, started_at=now
)
print("ROOM=" + str(room.pk))
print("TOKEN=" + token_pair_issue(user=host).access_token)
"""


class BenchmarkError(RuntimeError):
    """Anything that makes the numbers meaningless: the run stops and says why."""


@dataclass(frozen=True)
class Row:
    server: str
    viewers: int
    rate: int
    seconds: float
    sent: int
    expected: int
    delivered: int
    delivered_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    lost: int
    duplicates: int
    out_of_order: int
    dropped: int
    connect_seconds: float


# --- The floor: a bare broadcast server with the `websockets` library ---------------------------


async def floor_server(port: int) -> None:
    from websockets import broadcast
    from websockets.asyncio.server import ServerConnection, serve

    viewers: set[ServerConnection] = set()
    sequence = 0

    async def handler(connection: ServerConnection) -> None:
        nonlocal sequence
        path = connection.request.path if connection.request else ""
        welcome = {"type": "welcome", "data": {"last_seq": sequence, "viewers": len(viewers)}}
        await connection.send(json.dumps(welcome))
        if not path.startswith("/host"):
            viewers.add(connection)
            try:
                await connection.wait_closed()
            finally:
                viewers.discard(connection)
            return
        async for raw in connection:
            frame = json.loads(raw)
            if frame.get("type") != "chat":
                continue
            sequence += 1
            out = {
                "type": "chat",
                "seq": sequence,
                "at": time.time(),
                "data": {
                    "user": {"id": 1, "name": "host", "avatar_url": ""},
                    "text": frame["text"],
                },
            }
            broadcast(viewers, json.dumps(out, ensure_ascii=False, separators=(",", ":")))

    async with serve(
        handler, "127.0.0.1", port, compression=None, ping_interval=None, max_size=65536
    ) as server:
        print("ready", flush=True)
        await server.serve_forever()


# --- Viewers: one client process holds many connections ----------------------------------------


@dataclass
class Viewer:
    received: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    last_seq: int = 0
    ended: bool = False
    connected: bool = False


async def run_viewers(url: str, count: int, out: Path) -> None:
    from websockets.asyncio.client import connect

    viewers = [Viewer() for _ in range(count)]
    latencies = array("d")
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    all_connected = asyncio.Event()
    stop = asyncio.Event()
    connected = 0
    last_receive = 0.0

    attempted = 0

    async def one(viewer: Viewer) -> None:
        nonlocal connected, attempted
        try:
            async with gate:
                socket_ = await connect(
                    url, ping_interval=None, open_timeout=CONNECT_TIMEOUT, max_size=2**20
                )
                welcome = json.loads(await socket_.recv())
                if welcome.get("type") != "welcome":
                    raise BenchmarkError(f"first frame is not welcome: {welcome}")
            viewer.connected = True
            connected += 1
        finally:
            attempted += 1
            if attempted == count:
                all_connected.set()
        async with socket_:
            async for raw in socket_:
                now = time.time()
                frame = json.loads(raw)
                if frame.get("type") != "chat":
                    continue
                text = frame["data"].get("text", "")
                if text == END_MARK:
                    viewer.ended = True
                    return
                if not text.startswith("bench "):
                    continue
                seq = frame["seq"]
                if seq == viewer.last_seq or (seq < viewer.last_seq):
                    viewer.duplicates += 1
                    continue
                if viewer.last_seq and seq != viewer.last_seq + 1:
                    viewer.out_of_order += 1
                viewer.last_seq = seq
                viewer.received += 1
                latencies.append(now - float(text.split()[2]))
                nonlocal last_receive
                last_receive = max(last_receive, now)

    loop = asyncio.get_running_loop()

    def watch_stdin() -> None:  # a daemon thread: never keeps the process alive
        sys.stdin.readline()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    tasks = [asyncio.create_task(one(viewer)) for viewer in viewers]
    with suppress(TimeoutError):
        await asyncio.wait_for(all_connected.wait(), timeout=CONNECT_TIMEOUT)
    print(f"connected {connected}", flush=True)
    waiting = asyncio.create_task(stop.wait())
    await asyncio.wait(
        [asyncio.gather(*tasks, return_exceptions=True), waiting], return_when="FIRST_COMPLETED"
    )
    failures = [task.exception() for task in tasks if task.done() and task.exception()]
    for task in tasks:
        task.cancel()
    out.with_suffix(".lat").write_bytes(latencies.tobytes())
    out.write_text(
        json.dumps(
            {
                "received": sum(v.received for v in viewers),
                "duplicates": sum(v.duplicates for v in viewers),
                "out_of_order": sum(v.out_of_order for v in viewers),
                "ended": sum(v.ended for v in viewers),
                "failures": [repr(error) for error in failures[:5]],
                "failed": len(failures),
                "not_connected": count - connected,
                "last_receive": last_receive,
            }
        )
    )
    print("done", flush=True)


# --- The host ------------------------------------------------------------------------------------


async def run_host(
    url: str, headers: Mapping[str, str], *, rate: int, seconds: float
) -> tuple[int, float]:
    """Sends `rate` chat messages per second for `seconds`; (messages sent, first send time)."""
    from websockets.asyncio.client import connect

    total = int(rate * seconds)
    async with connect(
        url, additional_headers=dict(headers), ping_interval=None, max_size=2**20
    ) as socket_:
        welcome = json.loads(await socket_.recv())
        if welcome.get("type") != "welcome":
            raise BenchmarkError(f"host: first frame is not welcome: {welcome}")
        you = welcome["data"].get("you")
        if you is not None and not you.get("can_chat"):
            raise BenchmarkError(f"the host may not chat: {welcome}")

        async def drain() -> None:  # the host's own copies and any error frames
            async for raw in socket_:
                frame = json.loads(raw)
                if frame.get("type") == "error":
                    raise BenchmarkError(f"host got an error frame: {frame}")

        reader = asyncio.create_task(drain())
        started = time.time()
        for index in range(total):
            due = started + index / rate
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            text = f"bench {index} {time.time():.6f}"
            await socket_.send(json.dumps({"type": "chat", "text": text}))
            if reader.done():
                reader.result()
        await asyncio.sleep(0.2)
        await socket_.send(json.dumps({"type": "chat", "text": END_MARK}))
        await asyncio.sleep(0.5)
        if reader.done():
            reader.result()
        reader.cancel()
    return total, started


# --- Driver --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"server exited {process.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise BenchmarkError(f"server did not listen on {port}:\n{log.read_text()[-3000:]}")


def stop_group(process: subprocess.Popen[Any]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def start_live_server(
    environment: Mapping[str, str], work: Path, label: str, application: str = ""
) -> tuple[Any, int]:
    """The websocket server exactly as `circlemart serve` starts it."""
    from circlemart.config.cli import live_arguments

    port = free_port()
    log = work / f"{label}.log"
    command = live_arguments(host="127.0.0.1", port=port, workers=1, verbose=False)
    if application:  # an experiment: another ASGI application in the same server
        command[command.index("circlemart.config.asgi:application")] = application
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env=dict(environment),
            cwd=work,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for_port(port, process, log)
    return process, port


def start_floor_server(work: Path) -> tuple[Any, int]:
    port = free_port()
    log = work / "floor.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, __file__, "--role", "floor", "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for_port(port, process, log)
    return process, port


def measure(
    *,
    label: str,
    viewer_url: str,
    host_url: str,
    host_headers: Mapping[str, str],
    args: argparse.Namespace,
    work: Path,
) -> Row:
    processes = max(1, min(args.client_processes, args.viewers))
    shares = [args.viewers // processes + (i < args.viewers % processes) for i in range(processes)]
    clients = []
    started = time.monotonic()
    for index, share in enumerate(shares):
        out = work / f"{label}-viewers-{index}.json"
        clients.append(
            (
                subprocess.Popen(
                    [
                        *(sys.executable, __file__, "--role", "viewers", "--url", viewer_url),
                        *("--count", str(share), "--out", str(out)),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    start_new_session=True,
                ),
                out,
            )
        )
    try:
        for client, _out in clients:
            line = client.stdout.readline() if client.stdout else ""
            if not line.startswith("connected"):
                raise BenchmarkError(f"{label}: a client process could not connect its viewers")
        connect_seconds = time.monotonic() - started
        print(
            f"  {label}: {args.viewers} viewers connected in {connect_seconds:.1f} s; "
            f"host sends {args.rate}/s for {args.seconds:g} s",
            flush=True,
        )
        time.sleep(1.0)  # presence and welcome frames settle
        sent, first_send = asyncio.run(
            run_host(host_url, host_headers, rate=args.rate, seconds=args.seconds)
        )
        deadline = time.monotonic() + DRAIN_SECONDS
        for client, _out in clients:
            while client.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
                if client.stdout is None:
                    break
            if client.poll() is None and client.stdin:
                client.stdin.write("stop\n")
                client.stdin.flush()
        reports = []
        latencies = array("d")
        for client, out in clients:
            client.wait(timeout=60)
            reports.append(json.loads(out.read_text()))
            latencies.frombytes(out.with_suffix(".lat").read_bytes())
    finally:
        for client, _out in clients:
            stop_group(client)
    dropped = sum(report["failed"] for report in reports)
    not_connected = sum(report["not_connected"] for report in reports)
    if not_connected:
        print(f"  {label}: {not_connected} viewers could not connect (counted as dropped)")
    if dropped:
        failures = [failure for report in reports for failure in report["failures"]]
        print(f"  {label}: {dropped} viewers were disconnected: {failures[:3]}", flush=True)
    delivered = sum(report["received"] for report in reports)
    expected = sent * args.viewers
    ordered = sorted(latencies)
    # Delivery window: from the host's first send to the last delivery to any viewer.
    last_delivery = max(report["last_receive"] for report in reports)
    window = last_delivery - first_send
    return Row(
        server=label,
        viewers=args.viewers,
        rate=args.rate,
        seconds=args.seconds,
        sent=sent,
        expected=expected,
        delivered=delivered,
        delivered_per_second=delivered / window if window else 0.0,
        p50_ms=percentile(ordered, 50) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        max_ms=(ordered[-1] if ordered else math.nan) * 1000,
        lost=expected - delivered,
        duplicates=sum(report["duplicates"] for report in reports),
        out_of_order=sum(report["out_of_order"] for report in reports),
        dropped=dropped,
        connect_seconds=connect_seconds,
    )


def percentile(ordered: Sequence[float], percent: float) -> float:
    if not ordered:
        return math.nan
    rank = max(0, math.ceil(percent / 100 * len(ordered)) - 1)
    return ordered[rank]


def prepare(environment: Mapping[str, str]) -> tuple[int, str]:
    http_floor.circlemart(["migrate", "--noinput"], environment=environment, cwd=ROOT)
    snippet = SETUP_SNIPPET.format(
        email=f"bench-host-{os.getpid()}-{int(time.time())}@example.com",
        password="Bench-live-password-2718",
    )
    shell = http_floor.circlemart(["shell", "-c", snippet], environment=environment, cwd=ROOT)
    values = dict(
        line.split("=", 1) for line in shell.stdout.splitlines() if line[:5] in {"ROOM=", "TOKEN"}
    )
    if "ROOM" not in values or "TOKEN" not in values:
        raise BenchmarkError(f"no room/token in the setup output:\n{shell.stdout}{shell.stderr}")
    return int(values["ROOM"]), values["TOKEN"].strip()


def format_rows(rows: Sequence[Row], floor: Row | None) -> str:
    header = (
        "server",
        "viewers",
        "msg/s in",
        "sent",
        "delivered",
        "delivered/s",
        "÷ floor",
        "p50 ms",
        "p99 ms",
        "max ms",
        "lost",
        "gaps",
        "dup",
        "dropped",
        "connect s",
    )
    lines = []
    for row in rows:
        ratio = row.delivered_per_second / floor.delivered_per_second if floor else math.nan
        lines.append(
            (
                row.server,
                f"{row.viewers:,}",
                str(row.rate),
                f"{row.sent:,}",
                f"{row.delivered:,}",
                f"{row.delivered_per_second:,.0f}",
                f"{ratio:.2f}",
                f"{row.p50_ms:.1f}",
                f"{row.p99_ms:.1f}",
                f"{row.max_ms:.1f}",
                f"{row.lost:,}",
                f"{row.out_of_order:,}",
                f"{row.duplicates:,}",
                f"{row.dropped:,}",
                f"{row.connect_seconds:.1f}",
            )
        )
    widths = [max(len(r[i]) for r in (header, *lines)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, lines)])


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 viewers, 5 s")
    parser.add_argument("--viewers", type=int, default=None, help="[1000; --quick 100]")
    parser.add_argument("--rate", type=int, default=20, help="host messages per second [20]")
    parser.add_argument("--seconds", type=float, default=None, help="[30; --quick 5]")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="processes holding the viewers' connections [one per core]",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12",
        help="for the Redis row ['' skips it; default $REDIS_URL or redis://127.0.0.1:6379/12]",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="the live server's database [SQLite in a temporary data dir]",
    )
    parser.add_argument("--only", choices=["floor", "memory", "redis"], action="append")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument(
        "--settings",
        default="circlemart.config.settings",
        help="settings module of the live rows (experiments, e.g. another channel layer)",
    )
    parser.add_argument(
        "--application",
        default="",
        help="another ASGI application for the live rows (experiments; PYTHONPATH applies)",
    )
    parser.add_argument("--role", choices=["floor", "viewers"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.viewers is None:
        args.viewers = 100 if args.quick else 1000
    if args.seconds is None:
        args.seconds = 5.0 if args.quick else 30.0
    return args


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    if args.role == "floor":
        asyncio.run(floor_server(args.port))
        return 0
    if args.role == "viewers":
        asyncio.run(run_viewers(args.url, args.count, args.out))
        return 0
    kinds = args.only or ["floor", "memory", *(["redis"] if args.redis_url else [])]
    print(
        f"machine: nproc {len(os.sched_getaffinity(0))}, load {os.getloadavg()[0]:.2f}, python "
        f"{sys.version.split()[0]}; {args.viewers} viewers in {args.client_processes} client "
        f"processes, host {args.rate} msg/s for {args.seconds:g} s "
        f"({int(args.rate * args.seconds) * args.viewers:,} deliveries expected per row)",
        flush=True,
    )
    rows: list[Row] = []
    try:
        with tempfile.TemporaryDirectory(prefix="circlemart-live-bench-") as scratch:
            work = Path(scratch)
            if "floor" in kinds:
                server, port = start_floor_server(work)
                try:
                    rows.append(
                        measure(
                            label="floor (websockets)",
                            viewer_url=f"ws://127.0.0.1:{port}/ws/live/1/",
                            host_url=f"ws://127.0.0.1:{port}/host",
                            host_headers={},
                            args=args,
                            work=work,
                        )
                    )
                finally:
                    stop_group(server)
            for kind in [k for k in ("memory", "redis") if k in kinds]:
                environment = http_floor.child_environment(
                    data_dir=work / f"data-{kind}",
                    database_url=args.database_url,
                    redis_url=args.redis_url if kind == "redis" else None,
                )
                environment["DJANGO_SETTINGS_MODULE"] = args.settings
                if os.environ.get("PYTHONPATH"):
                    environment["PYTHONPATH"] = os.environ["PYTHONPATH"]
                if kind == "redis":
                    flush_redis(args.redis_url)
                print(f"setup ({kind}): migrate, a host with a token, a live room", flush=True)
                room_id, token = prepare(environment)
                server, port = start_live_server(
                    environment, work, f"asgi-{kind}", application=args.application
                )
                try:
                    rows.append(
                        measure(
                            label=f"asgi {'in-memory' if kind == 'memory' else 'redis'}",
                            viewer_url=f"ws://127.0.0.1:{port}/ws/live/{room_id}/",
                            host_url=f"ws://127.0.0.1:{port}/ws/live/{room_id}/",
                            host_headers={"Authorization": f"Bearer {token}"},
                            args=args,
                            work=work,
                        )
                    )
                finally:
                    stop_group(server)
                log = (work / f"asgi-{kind}.log").read_text(errors="replace").strip()
                if log:
                    print(
                        f"  server log ({kind}, last lines):\n    "
                        + "\n    ".join(log.splitlines()[-40:])
                    )
    except (BenchmarkError, http_floor.BenchmarkError) as error:
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        if rows:
            print(format_rows(rows, None))
        return 1
    floor = next((row for row in rows if row.server.startswith("floor")), None)
    print()
    print(format_rows(rows, floor))
    print()
    for row in rows:
        if row is floor:
            continue
        ratio = row.delivered_per_second / floor.delivered_per_second if floor else math.nan

        def met(ok: bool) -> str:
            return "met" if ok else "NOT met"

        verdicts = [
            f"÷ floor {ratio:.2f} ({met(ratio >= TARGET_RATIO)}, ≥ {TARGET_RATIO})",
            f"p99 {row.p99_ms:.0f} ms ({met(row.p99_ms < TARGET_P99_MS)}, < {TARGET_P99_MS:.0f})",
            f"lost {row.lost} ({met(row.lost == 0)}, 0)",
        ]
        print(f"{row.server}: " + "; ".join(verdicts))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(row) for row in rows], indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
