"""Soak of the embedded broker: `circlemart serve` (gunicorn + its supervised worker) on a data
dir of its own, several producer processes pushing thousands of tasks through the message
folder, and the worker SIGKILLed now and then — sometimes its main process alone (serve must
clear the rest of its process group), sometimes the whole group. Afterwards every task ran at
least once, serve restarted the worker after every kill, nothing was quarantined, and the web
server answered every request made to it the whole time.

The processes load tests/fault/broker_soak/settings.py: the real settings plus one task,
`soak.record`, which appends its number to a file. Serve's restart back-off counts a worker
that lived 3 s as healthy here (30 s in production), so the kills do not escalate it.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from tests.core.test_worker import process_env
from tests.fault.test_worker_kill import free_port, log_tail

pytestmark = [
    pytest.mark.slow,
    # One CI pass is enough: the other one points CELERY_BROKER_URL at RabbitMQ, and this
    # test is about the broker used when it is not set.
    pytest.mark.skipif(
        bool(settings.CELERY_BROKER_URL), reason="runs in the embedded-defaults pass"
    ),
]

SEED = int(os.environ.get("FAULT_SEED", "0")) or random.SystemRandom().randrange(1, 10**6)
TASKS = 3000
PRODUCERS = 4
PRODUCE_SECONDS = 20.0  # each producer spreads its share over this long
MIN_KILLS = 3
BUSY_WAIT_SECONDS = 15.0  # for a worker to hold a message before it is killed anyway
START_SECONDS = 60
CATCH_UP_SECONDS = 60
REPO = Path(__file__).resolve().parents[2]

SERVE = """
import sys
from circlemart.config import cli


class Supervisor(cli.Supervisor):
    def __init__(self, **options):
        super().__init__(**options, backoff=cli.Backoff(first=1.0, longest=4.0, settled=3.0))


cli.Supervisor = Supervisor
sys.exit(cli.main(sys.argv[1:]))
"""

PRODUCER = """
import sys, time
from circlemart.config import cli
cli._setup_django()
from circlemart.config.celery import app

first, last, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
started = time.monotonic()
with app.producer_or_acquire() as producer:
    for index, number in enumerate(range(first, last)):
        app.send_task("soak.record", args=[number], producer=producer)
        ahead = started + seconds * (index + 1) / (last - first) - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
print("sent", last - first, flush=True)
"""


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(stat.parent.name))
    return found


def worker_of(serve_pid: int) -> int | None:
    """The embedded worker's main process, if serve has one running."""
    for pid in children_of(serve_pid):
        with suppress(OSError):
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"worker" in arguments:
                return pid
    return None


def holds_a_message(inflight: Path, worker: int) -> bool:
    """The worker has claimed a message it has not acknowledged yet."""
    for folder in inflight.glob(f"*-{worker}-*"):
        with suppress(OSError):
            if any(name.endswith(".msg") for name in os.listdir(folder)):
                return True
    return False


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with suppress(OSError, IndexError):  # a zombie is dead, only not yet reaped
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


@dataclass
class Poller:
    """GETs /hello on a fresh connection every 50 ms until stopped."""

    port: int
    stop: threading.Event = field(default_factory=threading.Event)
    answered: int = 0
    failures: list[str] = field(default_factory=list)
    longest_wait: float = 0.0

    def run(self) -> None:
        last = time.monotonic()
        while not self.stop.wait(0.05):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                connection.request("GET", "/hello")
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(f"{time.strftime('%X')} {type(error).__name__}: {error}")
                continue
            finally:
                connection.close()
            if response.status != 200 or body != b"hello":
                self.failures.append(f"{time.strftime('%X')} {response.status} {body[:80]!r}")
                continue
            now = time.monotonic()
            self.answered += 1
            self.longest_wait = max(self.longest_wait, now - last)
            last = now


def recorded(path: Path) -> Counter[int]:
    if not path.exists():
        return Counter()
    return Counter(int(line) for line in path.read_text().split())


def test_every_task_runs_and_the_site_answers_while_the_worker_is_killed(tmp_path: Path) -> None:
    started = time.monotonic()
    rng = random.Random(SEED)
    print(f"\nfault seed {SEED} (FAULT_SEED={SEED} repeats the choices)")
    record = tmp_path / "record"
    data_dir = tmp_path / "data"
    env = process_env(data_dir, "")
    env.pop("SITE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.fault.broker_soak.settings",
        SOAK_RECORD_FILE=str(record),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        LOG_LEVEL="INFO",
        RATELIMIT_ENABLED="0",
    )
    broker = data_dir / "broker"
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        serve = subprocess.Popen(
            [sys.executable, "-c", SERVE, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    poller = Poller(port)
    poll_thread = threading.Thread(target=poller.run)
    producers: list[subprocess.Popen[bytes]] = []
    workers_seen: set[int] = set()
    kills: Counter[str] = Counter()
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert serve.poll() is None, f"serve exited:\n{log_tail(log)}"
            with suppress(OSError):
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/hello")
                if probe.getresponse().status == 200:
                    break
            assert time.monotonic() < deadline, f"serve did not answer:\n{log_tail(log)}"
            time.sleep(0.3)
        poll_thread.start()
        boot_seconds = time.monotonic() - started

        share = TASKS // PRODUCERS
        for index in range(PRODUCERS):
            first = index * share
            last = TASKS if index == PRODUCERS - 1 else first + share
            producers.append(
                subprocess.Popen(
                    [sys.executable, "-c", PRODUCER, str(first), str(last), str(PRODUCE_SECONDS)],
                    env=env,
                    cwd=tmp_path,
                    stdout=(tmp_path / f"producer-{index}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )

        # Kill whichever worker serve is running as soon as it holds a message.
        chaos_started = time.monotonic()
        while any(producer.poll() is None for producer in producers) or (
            sum(kills.values()) < MIN_KILLS and time.monotonic() - chaos_started < 90
        ):
            assert serve.poll() is None, f"serve exited:\n{log_tail(log)}"
            worker = worker_of(serve.pid)
            if worker is None:
                time.sleep(0.1)
                continue
            workers_seen.add(worker)
            busy_deadline = time.monotonic() + BUSY_WAIT_SECONDS
            while not (busy := holds_a_message(broker / "inflight", worker)):
                if time.monotonic() > busy_deadline:
                    break
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.05))  # claimed, handed to the pool, or running
            whole_group = rng.random() < 0.5
            with suppress(ProcessLookupError):
                if whole_group:
                    os.killpg(worker, signal.SIGKILL)
                else:
                    os.kill(worker, signal.SIGKILL)  # serve must clear the pool and beat
                what = "the group" if whole_group else "the main process"
                kills[f"{what}, {'holding messages' if busy else 'idle'}"] += 1
            while worker_of(serve.pid) == worker:
                time.sleep(0.05)
        chaos_seconds = time.monotonic() - chaos_started
        assert [producer.wait(timeout=30) for producer in producers] == [0] * PRODUCERS

        catch_up_started = time.monotonic()
        while len(recorded(record)) < TASKS:
            assert time.monotonic() - catch_up_started < CATCH_UP_SECONDS, (
                f"{TASKS - len(recorded(record))} tasks never ran:\n{log_tail(log, 120)}"
            )
            assert serve.poll() is None, f"serve exited:\n{log_tail(log)}"
            time.sleep(0.5)
        catch_up_seconds = time.monotonic() - catch_up_started
        if (last_worker := worker_of(serve.pid)) is not None:
            workers_seen.add(last_worker)
        poller.stop.set()
        poll_thread.join(timeout=30)

        serve.send_signal(signal.SIGTERM)
        exit_code = serve.wait(timeout=60)
    finally:
        poller.stop.set()
        for producer in producers:
            if producer.poll() is None:
                producer.kill()
        for group in (serve.pid, *workers_seen):
            with suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        if serve.poll() is None:
            serve.wait(timeout=30)

    runs = recorded(record)
    output = log.read_text(errors="replace")
    restarts = output.count("background worker stopped (killed by SIGKILL)")
    requeued = sum(
        int(line.split("requeued ", 1)[1].split()[0])
        for line in output.splitlines()
        if "requeued " in line and " messages of a consumer that died" in line
    )
    print(
        f"seconds: boot {boot_seconds:.0f}, chaos {chaos_seconds:.0f}, catch-up"
        f" {catch_up_seconds:.0f}, total {time.monotonic() - started:.0f}"
    )
    print(f"kills: {dict(kills)}; restarts logged {restarts}; workers seen {len(workers_seen)}")
    print(
        f"tasks: {TASKS} sent, {len(runs)} ran, {sum(runs.values()) - len(runs)} ran twice or"
        f" more; {requeued} messages requeued from dead workers"
    )
    print(
        f"web: {poller.answered} answers, {len(poller.failures)} failures, longest gap"
        f" {poller.longest_wait:.2f}s"
    )

    assert sorted(runs) == list(range(TASKS))  # every task ran at least once
    assert poller.failures == []
    assert poller.answered > 100
    assert sum(kills.values()) >= MIN_KILLS
    assert requeued > 0  # some kills caught messages claimed and not yet acknowledged
    assert restarts == sum(kills.values()), log_tail(log, 120)
    assert "Unrecoverable error" not in output
    assert "unreadable message" not in output
    assert exit_code == 0, log_tail(log)
    assert [pid for pid in (serve.pid, *workers_seen) if is_alive(pid)] == []
    assert list((broker / "quarantine").iterdir()) == []
    assert list((broker / "queue").iterdir()) == []
    assert list((broker / "inflight").iterdir()) == []  # the last worker stopped cleanly
