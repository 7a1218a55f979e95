"""The gunicorn workers `circlemart serve` runs, with admission control (core.admission): past
capacity they answer 503 + Retry-After at once instead of queueing work for clients that have
gone. `AdmissionThreadWorker` for --server wsgi, `AdmissionUvicornWorker` for --server asgi."""

from __future__ import annotations

import collections
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from concurrent import futures
from functools import partial
from typing import Any

from gunicorn.workers.gthread import _DEFER, ThreadWorker  # type: ignore[import-untyped]
from uvicorn_worker import UvicornWorker

from circlemart.core.admission import (
    AdmissionPolicy,
    ShedReason,
    shed_answer,
    shed_language,
    shed_log,
    warm_shed_answers,
)

# How long the shedding thread waits for a new connection's first bytes before handing the
# connection back to the poller (gunicorn's own pool threads wait up to 5 s).
SHED_DATA_WAIT_SECONDS = 0.05
# Weight of the newest request in the worker's moving average of service time.
SERVICE_WEIGHT = 0.1
# Enough of a request line to see its path against the priority prefixes.
PEEK_BYTES = 256
# WSGI environ key: seconds the request waited for a thread of its worker.
QUEUE_WAIT_KEY = "circlemart.queue_wait"

WsgiApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# What the worker decided about the request the current thread is about to run.
_verdict = threading.local()


def _loaded_application(worker: Any) -> Any:
    """The application gunicorn's base worker loaded (its attribute is untyped)."""
    return worker.wsgi


class AdmissionGate:
    """WSGI wrapper: answers the worker's shed verdict for this thread's request (before
    Django sees it), and records the request's queue wait in the environ."""

    def __init__(self, application: WsgiApplication, policy: AdmissionPolicy) -> None:
        self.application = application
        self.policy = policy

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        reason: ShedReason | None = getattr(_verdict, "reason", None)
        environ[QUEUE_WAIT_KEY] = getattr(_verdict, "waited", 0.0)
        path = environ.get("PATH_INFO", "")
        if reason is None or self.policy.is_exempt(path):
            return self.application(environ, start_response)
        shed_log.record(reason, path)
        answer = shed_answer(
            reason=reason,
            path=path,
            language=shed_language(
                cookie_header=environ.get("HTTP_COOKIE", ""),
                accept_language=environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            ),
            retry_after=self.policy.retry_after,
        )
        start_response(f"{answer.status} {answer.reason_phrase}", list(answer.headers))
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else answer.body]


def _peek(sock: Any) -> bytes | None:
    """The first bytes waiting on a socket, left there for the parser: b"" when the client has
    closed it (end of file, or reset), None when nothing has arrived yet. TLS sockets cannot
    peek: None."""
    if isinstance(sock, ssl.SSLSocket):
        return None
    try:
        return bytes(sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""  # reset by the peer: gunicorn would close it too


class AdmissionThreadWorker(ThreadWorker):
    """gunicorn's gthread worker with a bounded queue and a queueing deadline.

    The main thread accepts connections and hands each readable one to the thread pool. Here
    it first counts the requests already waiting for a thread: at the bound, the connection
    goes to a one-thread shedding pool instead, which reads the request and answers 503 at
    once (a few hundred microseconds, not a view). A pool thread that takes a request which
    waited past the deadline answers 503 the same way. Health checks are always served.

    Requests for the policy's priority paths (payment webhooks, health checks), seen by
    peeking at the request line, skip the queue: a small pool of their own serves them. A new
    connection whose request has not arrived yet waits in the poller, not in a thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.admission: AdmissionPolicy | None = None
        self.shed_pool: futures.ThreadPoolExecutor | None = None
        self.priority_pool: futures.ThreadPoolExecutor | None = None
        self.priority_waiting = 0
        self._waiting_lock = threading.Lock()
        # When each waiting request was queued, oldest first (the pool starts them in order).
        self._queued_at: collections.deque[float] = collections.deque()
        # Seconds a thread spends on an admitted request, averaged (None until the first).
        self.service_time: float | None = None

    def init_process(self) -> None:
        self.shed_pool = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="shed")
        super().init_process()  # loads the application, then runs until told to stop

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.admission = AdmissionPolicy.from_settings()
        if self.admission is not None:
            warm_shed_answers(self.admission)
            if self.admission.priority_threads and self.admission.priority_paths:
                self.priority_pool = futures.ThreadPoolExecutor(
                    max_workers=self.admission.priority_threads, thread_name_prefix="priority"
                )
            self.wsgi = AdmissionGate(_loaded_application(self), self.admission)

    def enqueue_req(self, conn: Any) -> None:
        policy = self.admission
        if policy is None or self.shed_pool is None:
            super().enqueue_req(conn)
            return
        head = _peek(conn.sock)
        if head == b"":
            # The client closed the connection (a kept-alive one, usually): nothing to queue (it
            # would hold a place in the queue until a thread found out, and shed a real request).
            self.nr_conns -= 1
            conn.close()
            return
        if head is None and not conn.initialized and not conn.data_ready:
            self.wait_in_poller(conn)  # its request line decides its lane when it comes
            return
        if head is not None and self.priority_pool is not None and policy.is_priority(head):
            future = self.submit_priority(conn)
        elif (
            policy.on_arrival(waiting=self.waiting, expected_wait=self.expected_wait()) is not None
        ):
            future = self.shed_pool.submit(self.handle_shed, conn)
        else:
            conn.circlemart_queued_at = time.monotonic()
            with self._waiting_lock:
                self._queued_at.append(conn.circlemart_queued_at)
            future = self.tpool.submit(self.handle_admitted, conn)
        future.add_done_callback(
            lambda done: self.method_queue.defer(self.finish_request, conn, done)
        )

    def wait_in_poller(self, conn: Any) -> None:
        """A new connection with no request yet: the poller hands it back when one arrives
        (as gunicorn does with a connection a thread gave up waiting for)."""
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )

    def submit_priority(self, conn: Any) -> futures.Future[Any]:
        """The priority lane: its own threads, no deadline; bounded like the queue, past
        which a priority request is shed too (nobody may use the lane to flood the worker)."""
        assert self.priority_pool is not None
        assert self.admission is not None
        with self._waiting_lock:
            full = bool(self.admission.max_waiting) and (
                self.priority_waiting >= self.admission.max_waiting
            )
            if not full:
                self.priority_waiting += 1
        if full:
            assert self.shed_pool is not None
            return self.shed_pool.submit(self.handle_shed, conn)
        return self.priority_pool.submit(self.handle_priority, conn)

    def handle_priority(self, conn: Any) -> Any:
        with self._waiting_lock:
            self.priority_waiting -= 1
        return self._handle_as(conn, reason=None, waited=0.0)

    def handle_admitted(self, conn: Any) -> Any:
        """A pool thread takes a request from the queue: refused if it waited too long."""
        with self._waiting_lock:
            self._queued_at.popleft()
        started = time.monotonic()
        waited = started - conn.circlemart_queued_at
        assert self.admission is not None  # only admitted through enqueue_req with a policy
        reason = self.admission.on_start(waited=waited)
        try:
            return self._handle_as(conn, reason=reason, waited=waited)
        finally:
            if reason is None:
                self.observe_service(time.monotonic() - started)

    @property
    def waiting(self) -> int:
        """Requests admitted to the queue that no thread has taken yet."""
        return len(self._queued_at)

    def observe_service(self, seconds: float) -> None:
        """Moving average of the time a thread spends on a request (wall time: it includes
        waiting for the GIL and the database, which is what delays the next in the queue)."""
        previous = self.service_time
        self.service_time = (
            seconds if previous is None else previous + SERVICE_WEIGHT * (seconds - previous)
        )

    def expected_wait(self) -> float | None:
        """How long a request queued now would wait for a thread, about: what the waiting
        ones need at the recent service time, or, when the queue is not moving (threads held
        by slow requests, which the average has not seen finish), how long its oldest
        request has waited already."""
        if self.service_time is None:
            return None
        queued_at = self._queued_at
        oldest = time.monotonic() - queued_at[0] if queued_at else 0.0
        return max(oldest, self.waiting * self.service_time / max(self.cfg.threads, 1))

    def handle_shed(self, conn: Any) -> Any:
        """The shedding thread: read the request, answer 503 (health checks are served)."""
        if not conn.initialized and not conn.wait_for_data(SHED_DATA_WAIT_SECONDS):
            return _DEFER  # no request yet: back to the poller, decided again when it comes
        return self._handle_as(conn, reason=ShedReason.QUEUE_FULL, waited=0.0)

    def _handle_as(self, conn: Any, *, reason: ShedReason | None, waited: float) -> Any:
        _verdict.reason = reason
        _verdict.waited = waited
        try:
            return self.handle(conn)
        finally:
            _verdict.reason = None
            _verdict.waited = 0.0


AsgiReceive = Callable[[], Awaitable[MutableMapping[str, Any]]]
AsgiSend = Callable[[MutableMapping[str, Any]], Awaitable[None]]
AsgiApplication = Callable[[MutableMapping[str, Any], AsgiReceive, AsgiSend], Awaitable[None]]


class AsgiAdmissionGate:
    """ASGI wrapper: at most `max_waiting` HTTP requests in flight per worker process (Django
    runs sync views one at a time per process there, so in flight is waiting); more are
    answered 503 + Retry-After at once. Websockets and health checks pass."""

    def __init__(self, application: AsgiApplication, policy: AdmissionPolicy) -> None:
        self.application = application
        self.policy = policy
        self.in_flight = 0

    async def __call__(
        self, scope: MutableMapping[str, Any], receive: AsgiReceive, send: AsgiSend
    ) -> None:
        if scope["type"] != "http" or self.policy.is_exempt(scope.get("path", "")):
            await self.application(scope, receive, send)
            return
        reason = self.policy.on_arrival(waiting=self.in_flight)
        if reason is not None:
            await self._shed(scope, send, reason)
            return
        self.in_flight += 1
        try:
            await self.application(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _shed(
        self, scope: MutableMapping[str, Any], send: AsgiSend, reason: ShedReason
    ) -> None:
        shed_log.record(reason, scope.get("path", ""))
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope.get("headers", [])
        }
        answer = shed_answer(
            reason=reason,
            path=scope.get("path", ""),
            language=shed_language(
                cookie_header=headers.get("cookie", ""),
                accept_language=headers.get("accept-language", ""),
            ),
            retry_after=self.policy.retry_after,
        )
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(name.encode(), value.encode()) for name, value in answer.headers],
            }
        )
        body = b"" if scope.get("method") == "HEAD" else answer.body
        await send({"type": "http.response.body", "body": body})


class AdmissionUvicornWorker(UvicornWorker):
    """uvicorn's gunicorn worker with `AsgiAdmissionGate` (the queue bound; no deadline)."""

    def load_wsgi(self) -> None:
        super().load_wsgi()
        policy = AdmissionPolicy.from_settings()
        if policy is not None and policy.max_waiting:
            warm_shed_answers(policy)
            self.wsgi = AsgiAdmissionGate(_loaded_application(self), policy)
