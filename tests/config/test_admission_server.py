"""Admission control in the real web server: `circlemart serve` (gunicorn, its threaded worker
with one thread) flooded while a slow request holds the thread. Requests past the queue bound
are answered 503 + Retry-After while the thread is still held; the queued ones are served
once it is free; a request that waited past the deadline is answered 503 without running its
view; the health check is always served. No speed is asserted beyond generous bounds."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fault.test_worker_kill import free_port, log_tail

ROOT = Path(__file__).resolve().parents[2]
CIRCLEMART = [sys.executable, "-m", "circlemart.config.cli"]
# Generous: a shed answer takes milliseconds; a slow CI machine must not fail the test.
ANSWER_WITHIN_SECONDS = 120.0
HOLDER_ATTEMPTS = 10


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


@dataclass(frozen=True)
class Site:
    port: int
    signals: Path
    log: Path

    def get(self, path: str, **headers: str) -> Answer:
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=90)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            return Answer(
                response.status,
                {name.lower(): value for name, value in response.getheaders()},
                body,
                time.monotonic() - started,
            )
        finally:
            connection.close()

    def release(self) -> None:
        (self.signals / "release").touch()

    def started(self) -> set[str]:
        return {path.name.removeprefix("started-") for path in self.signals.glob("started-*")}


@contextmanager
def serving(tmp_path: Path, **settings: str) -> Iterator[Site]:
    """`circlemart serve` with one worker of one thread on the slow test site (SQLite in a
    temporary data dir; no background worker, no websocket server)."""
    port = free_port()
    signals = tmp_path / "signals"
    signals.mkdir()
    dropped = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SITE_URL"}
    environment = {key: value for key, value in os.environ.items() if key not in dropped}
    environment.update(
        DJANGO_SETTINGS_MODULE="tests.config.admission_settings",
        CIRCLEMART_DATA_DIR=str(tmp_path / "data"),
        ADMISSION_TEST_SIGNALS=str(signals),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        WEB_THREADS="1",
        **settings,
    )
    log = tmp_path / "serve.log"
    command = [*CIRCLEMART, "serve", "--port", str(port), "--workers", "1"]
    with log.open("wb") as output:
        serve = subprocess.Popen(
            [*command, "--no-worker", "--no-live"],
            env=environment,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    site = Site(port=port, signals=signals, log=log)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert serve.poll() is None, f"serve exited:\n{log_tail(log)}"
            with suppress(OSError):
                if site.get("/healthz").status == 200:
                    break
            assert time.monotonic() < deadline, f"serve did not answer:\n{log_tail(log)}"
            time.sleep(0.2)
        yield site
    finally:
        site.release()  # no request left holding a thread
        with suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(timeout=30)


def _completed(pending: list[futures.Future[Answer]], count: int) -> list[Answer]:
    """Wait until `count` of the requests were answered; those answers."""
    deadline = time.monotonic() + ANSWER_WITHIN_SECONDS
    while sum(future.done() for future in pending) < count:
        assert time.monotonic() < deadline, "the shed requests were not answered"
        time.sleep(0.02)
    return [future.result() for future in pending if future.done()]


def _hold_the_only_thread(site: Site, pool: futures.ThreadPoolExecutor) -> futures.Future[Answer]:
    """A slow request that holds the worker's only thread. On a loaded machine requests of the
    server's own start (its readiness probe, given up by the prober after 0.5 s) can still be
    queued for a moment, and then this one is shed: it is sent again, a bounded number of
    times. Any answer other than a shed one fails the test."""
    for _attempt in range(HOLDER_ATTEMPTS):
        holder = pool.submit(site.get, "/slow?n=1")
        deadline = time.monotonic() + ANSWER_WITHIN_SECONDS
        while not (site.signals / "started-1").exists():
            if holder.done():
                break
            assert time.monotonic() < deadline, f"no started-1:\n{log_tail(site.log)}"
            time.sleep(0.02)
        else:
            return holder
        answer = holder.result()
        assert answer.status == 503, f"{answer.status} {answer.body[:300]!r}\n{log_tail(site.log)}"
        time.sleep(0.5)
    pytest.fail(f"the holder was shed {HOLDER_ATTEMPTS} times:\n{log_tail(site.log)}")


@pytest.mark.slow
def test_a_flooded_server_sheds_past_its_queue_at_once_and_serves_what_it_queued(tmp_path):
    # The count alone decides here (ADMISSION_QUEUE_WAIT_MS=0): the flood arrives at once,
    # before the queue has waited long enough for the expected wait to say so.
    with serving(
        tmp_path, ADMISSION_MAX_QUEUE="2", ADMISSION_DEADLINE_MS="0", ADMISSION_QUEUE_WAIT_MS="0"
    ) as site:
        with futures.ThreadPoolExecutor(max_workers=12) as pool:
            holder = _hold_the_only_thread(site, pool)  # the worker's only thread is busy
            flood = [
                pool.submit(
                    site.get,
                    f"/api/v1/slow?n={n}" if n % 2 else f"/slow?n={n}",
                    **{"Accept-Language": "en"},
                )
                for n in range(2, 10)
            ]
            # Two of the eight may wait for the thread; the six others are answered while the
            # thread is still held.
            shed = _completed(flood, 6)
            assert len(shed) == 6
            assert not holder.done()
            assert site.started() == {"1"}
            health = site.get("/healthz")  # the queue is full: the health check still passes
            assert (health.status, json.loads(health.body)) == (200, {"status": "ok"})

            for answer in shed:
                assert answer.status == 503
                assert answer.headers["retry-after"] == "1"
                assert answer.headers["x-shed-reason"] == "queue_full"
                assert answer.seconds < ANSWER_WITHIN_SECONDS
                if answer.headers["content-type"] == "application/json":
                    assert json.loads(answer.body) == {
                        "error": {
                            "code": "server_busy",
                            "reason": "queue_full",
                            "message": "Too many requests are waiting. Please try again in a "
                            "moment.",
                        }
                    }
                else:
                    assert answer.headers["content-type"] == "text/html; charset=utf-8"
                    assert b"<h1>The site is busy right now</h1>" in answer.body
            kinds = {answer.headers["content-type"] for answer in shed}
            assert kinds <= {"application/json", "text/html; charset=utf-8"}

            site.release()
            first = holder.result(timeout=ANSWER_WITHIN_SECONDS)
            assert (first.status, first.body) == (200, b"served 1")
            answers = [future.result(timeout=ANSWER_WITHIN_SECONDS) for future in flood]
        served = [answer for answer in answers if answer.status == 200]
        assert len(served) == 2
        assert sum(answer.status == 503 for answer in answers) == 6
        # Only the queued requests ran their views, and they were answered right.
        served_numbers = {
            json.loads(answer.body)["served"]
            if answer.headers["content-type"] == "application/json"
            else answer.body.decode().removeprefix("served ")
            for answer in served
        }
        assert site.started() == {"1", *served_numbers}
        # Once the overload is over, everything is served again.
        assert site.get("/slow?n=20").status == 200


@pytest.mark.slow
def test_a_request_that_waited_past_the_deadline_is_answered_without_running_its_view(tmp_path):
    with serving(tmp_path, ADMISSION_MAX_QUEUE="0", ADMISSION_DEADLINE_MS="300") as site:
        with futures.ThreadPoolExecutor(max_workers=2) as pool:
            holder = _hold_the_only_thread(site, pool)
            late = pool.submit(site.get, "/api/v1/slow?n=2", **{"Accept-Language": "en"})
            time.sleep(3)  # ten times the deadline, waiting for the held thread
            site.release()
            assert holder.result(timeout=ANSWER_WITHIN_SECONDS).status == 200
            answer = late.result(timeout=ANSWER_WITHIN_SECONDS)
        assert answer.status == 503
        assert answer.headers["retry-after"] == "1"
        assert json.loads(answer.body)["error"]["reason"] == "queue_deadline"
        assert site.started() == {"1"}  # its view never ran
        fresh = site.get("/api/v1/slow?n=3")
        assert (fresh.status, json.loads(fresh.body)) == (200, {"served": "3"})


@pytest.mark.slow
def test_a_priority_path_runs_on_its_own_thread_while_the_only_thread_is_held(tmp_path):
    """The priority lane (payment webhooks, health checks): the request line, peeked on a
    real socket, sends the request past the held thread's queue to a thread of its own."""
    with serving(tmp_path, ADMISSION_PRIORITY_PATHS="/healthz,/api/v1/slow") as site:
        with futures.ThreadPoolExecutor(max_workers=2) as pool:
            holder = _hold_the_only_thread(site, pool)
            priority = pool.submit(site.get, "/api/v1/slow?n=2", **{"Accept-Language": "en"})
            deadline = time.monotonic() + ANSWER_WITHIN_SECONDS
            while not (site.signals / "started-2").exists():
                assert not priority.done(), priority.result()
                assert time.monotonic() < deadline, f"no started-2:\n{log_tail(site.log)}"
                time.sleep(0.02)
            assert not holder.done()  # the view ran while the only queue thread was held
            site.release()
            assert holder.result(timeout=ANSWER_WITHIN_SECONDS).status == 200
            answer = priority.result(timeout=ANSWER_WITHIN_SECONDS)
        assert (answer.status, json.loads(answer.body)) == (200, {"served": "2"})
