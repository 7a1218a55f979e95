"""Admission control's decisions and answers (core.admission), and the WSGI/ASGI gates and the
threaded worker that apply them (config.gunicorn_worker), without a server; the real server
is flooded in tests/config/test_admission_server.py."""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import json
import socket
import threading
from collections.abc import Callable
from concurrent import futures
from types import SimpleNamespace
from typing import Any

import pytest

from circlemart.config import gunicorn_worker
from circlemart.config.gunicorn_worker import (
    QUEUE_WAIT_KEY,
    AdmissionGate,
    AdmissionThreadWorker,
    AsgiAdmissionGate,
)
from circlemart.core.admission import (
    AdmissionPolicy,
    ShedLog,
    ShedReason,
    shed_answer,
    shed_language,
    warm_shed_answers,
)

# --- the decision ------------------------------------------------------------------------------


def test_a_request_is_shed_on_arrival_once_the_queue_is_full():
    policy = AdmissionPolicy(max_waiting=3, deadline=0.5)
    assert [policy.on_arrival(waiting=waiting) for waiting in range(5)] == [
        None,
        None,
        None,
        ShedReason.QUEUE_FULL,
        ShedReason.QUEUE_FULL,
    ]


def test_past_the_count_a_request_is_queued_while_a_thread_is_expected_to_take_it_soon():
    policy = AdmissionPolicy(max_waiting=3, deadline=3.0, queue_wait=0.5)
    assert policy.on_arrival(waiting=2, expected_wait=9.0) is None  # under the count: queued
    assert policy.on_arrival(waiting=300, expected_wait=0.1) is None  # cheap requests
    assert policy.on_arrival(waiting=3, expected_wait=0.5) is ShedReason.QUEUE_FULL
    assert policy.on_arrival(waiting=3, expected_wait=None) is ShedReason.QUEUE_FULL
    count_only = AdmissionPolicy(max_waiting=3, queue_wait=0)
    assert count_only.on_arrival(waiting=3, expected_wait=0.001) is ShedReason.QUEUE_FULL


def test_a_request_that_waited_past_the_deadline_is_shed_when_a_thread_takes_it():
    policy = AdmissionPolicy(max_waiting=3, deadline=0.5)
    assert policy.on_start(waited=0.0) is None
    assert policy.on_start(waited=0.5) is None
    assert policy.on_start(waited=0.501) is ShedReason.QUEUE_DEADLINE


def test_zero_turns_either_bound_off():
    unbounded = AdmissionPolicy(max_waiting=0, deadline=0.5)
    assert unbounded.on_arrival(waiting=10_000) is None
    no_deadline = AdmissionPolicy(max_waiting=3, deadline=0)
    assert no_deadline.on_start(waited=3600.0) is None


def test_health_checks_are_exempt():
    policy = AdmissionPolicy(exempt_paths=frozenset({"/healthz"}))
    assert policy.is_exempt("/healthz")
    assert not policy.is_exempt("/healthz/")
    assert not policy.is_exempt("/api/v1/me")


@pytest.mark.parametrize(
    ("head", "priority"),
    [
        (b"POST /payments/webhooks/test-gateway/ HTTP/1.1\r\nHost: shop\r\n", True),
        (b"POST /payments/webhooks/test-gateway/?retry=2 HTTP/1.1\r\n", True),
        (b"POST /payments/webhooks/test-gat", True),  # the line so far already matches
        (b"GET /healthz HTTP/1.1\r\n", True),
        (b"POST /payments/web", False),  # cut short of the prefix: the queue, like any other
        (b"POST /api/v1/orders HTTP/1.1\r\n", False),
        (b"GET /?next=/payments/webhooks/ HTTP/1.1\r\n", False),  # the path, not the query
        (b"POST /x/payments/webhooks/ HTTP/1.1\r\n", False),
        (b"\x16\x03\x01\x02\x00", False),  # a TLS hello
        (b"", False),
    ],
)
def test_the_priority_lane_is_chosen_by_the_request_lines_path(head, priority):
    policy = AdmissionPolicy(priority_paths=("/healthz", "/payments/webhooks/"))
    assert policy.is_priority(head) is priority


def test_no_priority_lane_without_paths_or_threads():
    head = b"POST /payments/webhooks/test-gateway/ HTTP/1.1\r\n"
    assert not AdmissionPolicy().is_priority(head)
    assert not AdmissionPolicy(
        priority_paths=("/payments/webhooks/",), priority_threads=0
    ).is_priority(head)


def test_the_policy_comes_from_the_settings(settings):
    settings.ADMISSION_CONTROL = True
    settings.ADMISSION_MAX_QUEUE = 7
    settings.ADMISSION_DEADLINE_MS = 250
    settings.ADMISSION_QUEUE_WAIT_MS = 80
    settings.ADMISSION_RETRY_AFTER_SECONDS = 3
    settings.ADMISSION_EXEMPT_PATHS = ["/healthz", "/readyz"]
    settings.ADMISSION_PRIORITY_PATHS = ["/payments/webhooks/"]
    settings.ADMISSION_PRIORITY_THREADS = 3
    assert AdmissionPolicy.from_settings() == AdmissionPolicy(
        max_waiting=7,
        deadline=0.25,
        queue_wait=0.08,
        retry_after=3,
        exempt_paths=frozenset({"/healthz", "/readyz"}),
        priority_paths=("/payments/webhooks/",),
        priority_threads=3,
    )
    settings.ADMISSION_MAX_QUEUE = 0
    settings.ADMISSION_DEADLINE_MS = 0
    assert AdmissionPolicy.from_settings() is None  # nothing to enforce
    settings.ADMISSION_MAX_QUEUE = 7
    settings.ADMISSION_CONTROL = False
    assert AdmissionPolicy.from_settings() is None


def test_admission_control_is_on_by_default_with_a_bounded_queue_and_a_deadline():
    from circlemart.config import settings as project_settings

    assert project_settings.ADMISSION_CONTROL is True
    assert project_settings.ADMISSION_MAX_QUEUE == 32
    assert project_settings.ADMISSION_DEADLINE_MS == 3000
    assert project_settings.ADMISSION_QUEUE_WAIT_MS == 500
    assert project_settings.ADMISSION_RETRY_AFTER_SECONDS == 1
    assert project_settings.ADMISSION_EXEMPT_PATHS == ["/healthz"]


# --- the answer --------------------------------------------------------------------------------


def _headers(answer: Any) -> dict[str, str]:
    return dict(answer.headers)


def test_an_api_request_is_answered_with_a_problem_naming_the_reason():
    answer = shed_answer(
        reason=ShedReason.QUEUE_FULL, path="/api/v1/products", language="en", retry_after=2
    )
    assert (answer.status, answer.reason_phrase) == (503, "Service Unavailable")
    assert json.loads(answer.body) == {
        "error": {
            "code": "server_busy",
            "reason": "queue_full",
            "message": "Too many requests are waiting. Please try again in a moment.",
        }
    }
    headers = _headers(answer)
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(answer.body))
    assert headers["Retry-After"] == "2"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Shed-Reason"] == "queue_full"

    late = shed_answer(
        reason=ShedReason.QUEUE_DEADLINE, path="/api/v1/me", language="en", retry_after=1
    )
    assert json.loads(late.body)["error"] == {
        "code": "server_busy",
        "reason": "queue_deadline",
        "message": "Your request waited too long to be started. Please try again in a moment.",
    }
    assert _headers(late)["Retry-After"] == "1"


def test_a_page_request_is_answered_with_a_short_page_in_its_language():
    answer = shed_answer(reason=ShedReason.QUEUE_FULL, path="/p/12/", language="en", retry_after=1)
    page = answer.body.decode()
    assert page.startswith('<!doctype html><html lang="en">')
    assert "<h1>The site is busy right now</h1>" in page
    assert "<p>Too many requests are waiting. Please try again in a moment.</p>" in page
    headers = _headers(answer)
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Language"] == "en"
    assert headers["Retry-After"] == "1"
    # nothing but the page's own style may load or run: its hash is the only allowance
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert headers["Content-Security-Policy"] == f"default-src 'none'; style-src 'sha256-{digest}'"
    assert '<a href="">Try again</a>' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    chinese = shed_answer(
        reason=ShedReason.QUEUE_FULL, path="/p/12/", language="zh-hans", retry_after=1
    )
    assert chinese.body.decode().startswith('<!doctype html><html lang="zh-hans">')
    assert _headers(chinese)["Content-Language"] == "zh-hans"


def test_answers_are_built_once_and_warmed_for_every_language(settings):
    warm_shed_answers(AdmissionPolicy(retry_after=1))
    first = shed_answer(
        reason=ShedReason.QUEUE_FULL, path="/api/v1/x", language="en", retry_after=1
    )
    again = shed_answer(
        reason=ShedReason.QUEUE_FULL, path="/api/v1/y", language="en", retry_after=1
    )
    assert first is again
    assert {language for language, _name in settings.LANGUAGES} == {"zh-hans", "en"}


def test_the_language_is_chosen_as_locale_middleware_would():
    assert shed_language(cookie_header="", accept_language="") == "zh-hans"  # the default
    assert shed_language(cookie_header="", accept_language="en-GB,en;q=0.8") == "en"
    assert shed_language(cookie_header="", accept_language="fr-FR") == "zh-hans"
    assert shed_language(cookie_header="django_language=en", accept_language="zh-CN") == "en"
    assert shed_language(cookie_header="django_language=xx", accept_language="en") == "en"


# --- the WSGI gate -----------------------------------------------------------------------------


class Recorder:
    """A WSGI application that says whether it ran."""

    def __init__(self) -> None:
        self.environ: dict[str, Any] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.environ = environ
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ran"]


def _call(gate: AdmissionGate, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered.update(status=status, headers=dict(headers))

    body = b"".join(gate(environ, start_response))
    return answered["status"], answered["headers"], body


@pytest.fixture
def verdict():
    """Sets what the worker decided for this thread's request, and clears it afterwards."""

    def decide(reason: ShedReason | None, waited: float = 0.0) -> None:
        gunicorn_worker._verdict.reason = reason
        gunicorn_worker._verdict.waited = waited

    yield decide
    decide(None)


def test_the_gate_answers_a_shed_verdict_without_running_the_application(verdict, monkeypatch):
    recorded: list[tuple[ShedReason, str]] = []
    monkeypatch.setattr(gunicorn_worker.shed_log, "record", lambda *shed: recorded.append(shed))
    application = Recorder()
    gate = AdmissionGate(application, AdmissionPolicy(retry_after=1))
    verdict(ShedReason.QUEUE_DEADLINE, waited=1.5)
    status, headers, body = _call(
        gate,
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/me", "HTTP_ACCEPT_LANGUAGE": "en"},
    )
    assert application.environ is None
    assert status == "503 Service Unavailable"
    assert headers["Retry-After"] == "1"
    assert json.loads(body)["error"]["reason"] == "queue_deadline"

    status, headers, body = _call(gate, {"REQUEST_METHOD": "HEAD", "PATH_INFO": "/"})
    assert (status, body) == ("503 Service Unavailable", b"")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert application.environ is None
    assert recorded == [(ShedReason.QUEUE_DEADLINE, "/api/v1/me"), (ShedReason.QUEUE_DEADLINE, "/")]


def test_the_gate_runs_admitted_and_exempt_requests_and_records_the_queue_wait(verdict):
    application = Recorder()
    gate = AdmissionGate(application, AdmissionPolicy(exempt_paths=frozenset({"/healthz"})))
    verdict(None, waited=0.042)
    assert _call(gate, {"REQUEST_METHOD": "GET", "PATH_INFO": "/p/1/"}) == (
        "200 OK",
        {"Content-Type": "text/plain"},
        b"ran",
    )
    assert application.environ is not None
    assert application.environ[QUEUE_WAIT_KEY] == 0.042

    application.environ = None
    verdict(ShedReason.QUEUE_FULL)
    assert _call(gate, {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz"})[2] == b"ran"
    assert application.environ is not None


# --- the threaded worker's queue ---------------------------------------------------------------


class Pool:
    """Stands in for a thread pool: records what was submitted, runs nothing."""

    def __init__(self) -> None:
        self.submitted: list[tuple[Callable[..., Any], Any]] = []

    def submit(self, function: Callable[..., Any], conn: Any) -> futures.Future[Any]:
        self.submitted.append((function, conn))
        return futures.Future()


class PeekableSocket:
    """Stands in for a client socket: what its request's first bytes are (None: not arrived)."""

    def __init__(self, head: bytes | None) -> None:
        self.head = head

    def recv(self, size: int, flags: int = 0) -> bytes:
        assert flags & socket.MSG_PEEK  # the worker only looks
        if self.head is None:
            raise BlockingIOError
        return self.head[:size]


def _conn(name: str = "c", head: bytes | None = b"GET / HTTP/1.1\r\n\r\n") -> SimpleNamespace:
    return SimpleNamespace(
        name=name, initialized=False, data_ready=False, sock=PeekableSocket(head)
    )


def _worker(policy: AdmissionPolicy | None) -> AdmissionThreadWorker:
    """A worker without gunicorn's process machinery: just its queue and its decisions."""
    worker = AdmissionThreadWorker.__new__(AdmissionThreadWorker)
    worker.admission = policy
    worker._waiting_lock = threading.Lock()
    worker.service_time = None
    worker.cfg = SimpleNamespace(threads=4)
    worker._queued_at = collections.deque()
    worker.tpool = Pool()
    worker.shed_pool = Pool()
    worker.priority_pool = Pool() if policy is not None and policy.priority_paths else None
    worker.priority_waiting = 0
    worker.method_queue = SimpleNamespace(defer=lambda *args: None)
    return worker


def test_the_worker_queues_up_to_the_bound_then_hands_arrivals_to_the_shedding_thread():
    worker = _worker(AdmissionPolicy(max_waiting=2, deadline=1.0))
    connections = [_conn(f"c{n}") for n in range(4)]
    for conn in connections:
        worker.enqueue_req(conn)
    assert [conn.name for _fn, conn in worker.tpool.submitted] == ["c0", "c1"]
    assert [fn.__name__ for fn, _conn in worker.tpool.submitted] == ["handle_admitted"] * 2
    assert [conn.name for _fn, conn in worker.shed_pool.submitted] == ["c2", "c3"]
    assert [fn.__name__ for fn, _conn in worker.shed_pool.submitted] == ["handle_shed"] * 2
    assert worker.waiting == 2

    # A thread takes one: room for one more in the queue.
    seen: list[Any] = []
    worker.handle = lambda conn: seen.append(gunicorn_worker._verdict.reason)
    worker.handle_admitted(connections[0])
    assert worker.waiting == 1
    assert seen == [None]
    worker.enqueue_req(_conn("c4"))
    assert [conn.name for _fn, conn in worker.tpool.submitted][-1] == "c4"
    assert gunicorn_worker._verdict.reason is None  # cleared after the request


def test_the_worker_expects_the_wait_from_its_recent_service_times():
    worker = _worker(AdmissionPolicy(max_waiting=2, deadline=3.0, queue_wait=0.5))
    worker.handle = lambda conn: None
    assert worker.expected_wait() is None
    # Requests of 2 ms on 4 threads: forty waiting start within 20 ms, so all are queued.
    for _ in range(3):
        conn = _conn()
        worker.enqueue_req(conn)
        worker.observe_service(0.002)
        worker.handle_admitted(conn)
    for n in range(40):
        worker.enqueue_req(_conn(f"cheap{n}"))
    assert worker.shed_pool.submitted == []
    assert worker.expected_wait() == pytest.approx(40 * worker.service_time / 4)
    # Requests of 100 ms: past the count, the expected wait is over half a second: shed.
    for _ in range(60):
        worker.observe_service(0.1)
    worker.enqueue_req(_conn("slow"))
    assert [conn.name for _fn, conn in worker.shed_pool.submitted] == ["slow"]


def test_a_queue_that_does_not_move_is_expected_to_wait_as_long_as_its_oldest_request():
    worker = _worker(AdmissionPolicy(max_waiting=2, deadline=0, queue_wait=0.5))
    worker.observe_service(0.001)  # quick so far; now every thread is held by a slow request
    stuck = [_conn(f"stuck{n}") for n in range(2)]
    for conn in stuck:
        worker.enqueue_req(conn)
    worker._queued_at[0] -= 2.0  # the oldest has waited two seconds
    assert worker.expected_wait() == pytest.approx(2.0, abs=0.1)
    worker.enqueue_req(_conn("next"))
    assert [conn.name for _fn, conn in worker.shed_pool.submitted] == ["next"]


def test_only_requests_that_ran_count_towards_the_service_time():
    worker = _worker(AdmissionPolicy(max_waiting=2, deadline=0.2))
    worker.handle = lambda conn: None
    shed = _conn()
    worker.enqueue_req(shed)
    shed.circlemart_queued_at -= 0.5  # past the deadline: answered 503 without running
    worker.handle_admitted(shed)
    assert worker.service_time is None
    served = _conn()
    worker.enqueue_req(served)
    worker.handle_admitted(served)
    assert worker.service_time is not None
    assert worker.service_time < 0.2


def test_a_thread_that_takes_a_request_past_the_deadline_sheds_it():
    worker = _worker(AdmissionPolicy(max_waiting=0, deadline=0.2))
    conn = _conn()
    worker.enqueue_req(conn)
    conn.circlemart_queued_at -= 0.5  # it has waited half a second
    seen: list[tuple[Any, float]] = []
    worker.handle = lambda conn: seen.append(
        (gunicorn_worker._verdict.reason, gunicorn_worker._verdict.waited)
    )
    worker.handle_admitted(conn)
    ((reason, waited),) = seen
    assert reason is ShedReason.QUEUE_DEADLINE
    assert 0.5 <= waited < 5.0
    assert worker.waiting == 0


def test_a_kept_alive_connection_the_client_closed_takes_no_place_in_the_queue():
    worker = _worker(AdmissionPolicy(max_waiting=1))
    worker.nr_conns = 2
    closed_server_side, client = socket.socketpair()
    client.close()  # the client went away: the socket is readable, at end of file
    closed = SimpleNamespace(initialized=True, sock=closed_server_side, closed=False)
    closed.close = lambda: setattr(closed, "closed", True)
    worker.enqueue_req(closed)
    assert closed.closed
    assert worker.nr_conns == 1
    assert worker.tpool.submitted == worker.shed_pool.submitted == []
    assert worker.waiting == 0

    asking_side, client = socket.socketpair()
    client.sendall(b"GET / HTTP/1.1\r\n\r\n")  # the next request on a kept-alive connection
    asking = SimpleNamespace(initialized=True, sock=asking_side)
    worker.enqueue_req(asking)
    assert [conn for _fn, conn in worker.tpool.submitted] == [asking]
    assert asking_side.recv(3) == b"GET"  # only peeked: the request is still there
    for end in (closed_server_side, asking_side, client):
        end.close()


WEBHOOK = b"POST /payments/webhooks/test-gateway/ HTTP/1.1\r\nHost: shop\r\n"


def test_priority_requests_skip_a_full_queue_on_threads_of_their_own():
    worker = _worker(AdmissionPolicy(max_waiting=2, priority_paths=("/payments/webhooks/",)))
    for n in range(3):
        worker.enqueue_req(_conn(f"buyer{n}"))
    assert worker.waiting == 2
    assert [conn.name for _fn, conn in worker.shed_pool.submitted] == ["buyer2"]

    worker.enqueue_req(_conn("webhook", WEBHOOK))
    assert [(fn.__name__, conn.name) for fn, conn in worker.priority_pool.submitted] == [
        ("handle_priority", "webhook")
    ]
    assert worker.waiting == 2  # it took no place in the queue
    assert worker.priority_waiting == 1

    seen: list[Any] = []
    worker.handle = lambda conn: seen.append(gunicorn_worker._verdict.reason)
    worker.handle_priority(worker.priority_pool.submitted[0][1])
    assert seen == [None]  # served, never shed for the queue's sake
    assert worker.priority_waiting == 0


def test_a_flooded_priority_lane_sheds_too():
    worker = _worker(AdmissionPolicy(max_waiting=2, priority_paths=("/payments/webhooks/",)))
    for n in range(3):
        worker.enqueue_req(_conn(f"webhook{n}", WEBHOOK))
    assert [conn.name for _fn, conn in worker.priority_pool.submitted] == ["webhook0", "webhook1"]
    assert [conn.name for _fn, conn in worker.shed_pool.submitted] == ["webhook2"]


def test_a_new_connection_without_a_request_waits_in_the_poller_not_in_a_thread():
    worker = _worker(AdmissionPolicy(max_waiting=2, priority_paths=("/payments/webhooks/",)))
    worker.cfg.keepalive = 2
    worker.pending_conns = []
    registered: list[tuple[Any, Any]] = []
    worker.poller = SimpleNamespace(
        register=lambda sock, events, callback: registered.append((sock, callback)),
        unregister=lambda sock: None,
    )
    early = _conn("early", head=None)  # connected; its request has not arrived yet
    worker.enqueue_req(early)
    assert worker.pending_conns == [early]
    assert [sock for sock, _callback in registered] == [early.sock]
    assert worker.tpool.submitted == worker.priority_pool.submitted == []
    assert worker.waiting == 0

    early.sock.head = WEBHOOK  # it arrives: the poller calls back, the line picks the lane
    registered[0][1](early.sock)
    assert early.data_ready
    assert worker.pending_conns == []
    assert [conn.name for _fn, conn in worker.priority_pool.submitted] == ["early"]


def test_the_shedding_thread_hands_a_connection_without_a_request_back_to_the_poller():
    from gunicorn.workers.gthread import _DEFER

    worker = _worker(AdmissionPolicy(max_waiting=1))
    silent = SimpleNamespace(initialized=False, wait_for_data=lambda timeout: False)
    assert worker.handle_shed(silent) is _DEFER
    seen: list[Any] = []
    worker.handle = lambda conn: seen.append(gunicorn_worker._verdict.reason) or True
    ready = SimpleNamespace(initialized=False, wait_for_data=lambda timeout: True)
    assert worker.handle_shed(ready) is True
    assert seen == [ShedReason.QUEUE_FULL]


def test_without_a_policy_the_worker_is_gunicorns_gthread_worker(monkeypatch):
    from gunicorn.workers.gthread import ThreadWorker

    queued: list[Any] = []
    monkeypatch.setattr(ThreadWorker, "enqueue_req", lambda self, conn: queued.append(conn))
    worker = _worker(None)
    conn = SimpleNamespace()
    worker.enqueue_req(conn)
    assert queued == [conn]
    assert worker.tpool.submitted == worker.shed_pool.submitted == []


# --- the ASGI gate -----------------------------------------------------------------------------


class AsgiApplication:
    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1
        if scope["type"] == "http" and scope["path"] == "/hold":
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ran"})


def _scope(path: str, **extra: Any) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path, "headers": [], **extra}


def test_the_asgi_gate_sheds_past_the_in_flight_bound_and_lets_exempt_paths_through():
    async def scenario() -> None:
        application = AsgiApplication()
        gate = AsgiAdmissionGate(application, AdmissionPolicy(max_waiting=1, retry_after=2))

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        held = asyncio.create_task(gate(_scope("/hold"), receive, send))
        await asyncio.sleep(0)
        assert gate.in_flight == 1
        headers = [(b"accept-language", b"en")]
        await gate(_scope("/api/v1/me", headers=headers), receive, send)
        start, body = sent[-2:]
        assert start["status"] == 503
        assert dict(start["headers"])[b"Retry-After"] == b"2"
        assert json.loads(body["body"])["error"]["reason"] == "queue_full"
        assert application.calls == 1  # the shed request never reached the application

        await gate(_scope("/healthz"), receive, send)
        assert sent[-1]["body"] == b"ran"
        await gate({"type": "websocket", "path": "/ws/live/1/"}, receive, send)
        assert application.calls == 3

        application.release.set()
        await held
        assert gate.in_flight == 0
        await gate(_scope("/p/1/"), receive, send)
        assert sent[-1]["body"] == b"ran"

    asyncio.run(scenario())


def test_sheds_are_logged_at_once_then_at_most_once_per_interval(caplog):
    now = [100.0]
    log = ShedLog(interval=10.0, clock=lambda: now[0])
    with caplog.at_level("WARNING", logger="circlemart.core.admission"):
        log.record(ShedReason.QUEUE_FULL, "/search/")
        for _ in range(5):
            now[0] += 1
            log.record(ShedReason.QUEUE_DEADLINE, "/api/v1/me")
        now[0] += 10
        log.record(ShedReason.QUEUE_FULL, "/cart/")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "admission control shed 1 request(s) (queue_full: 1), the last for /search/",
        "admission control shed 6 request(s) (queue_deadline: 5, queue_full: 1),"
        " the last for /cart/",
    ]
