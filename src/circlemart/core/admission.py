"""Admission control: which requests a saturated web worker refuses before running them (a
bounded queue and a queueing deadline per worker), and the 503 + Retry-After it answers them
with. The servers that apply it live in circlemart.config.gunicorn_worker."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from types import SimpleNamespace

from django.conf import settings
from django.http.cookie import parse_cookie
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from circlemart.core.middleware import API_PREFIX

logger = logging.getLogger(__name__)


class ShedReason(StrEnum):
    """Why a request was refused without running it (named in the API's problem body)."""

    QUEUE_FULL = "queue_full"  # too many requests already waited for a thread of this worker
    QUEUE_DEADLINE = "queue_deadline"  # it waited too long before a thread could take it


@dataclass(frozen=True)
class AdmissionPolicy:
    """The bounds of one worker. `max_waiting` requests may wait for a thread (0: no bound);
    beyond that, an arrival is still queued while the worker expects to start it within
    `queue_wait` seconds (0: the count alone decides), so a burst of cheap requests is not
    refused. One that waited longer than `deadline` seconds is refused when a thread takes it
    (0: no deadline). Paths in `exempt_paths` (health checks) are always served."""

    max_waiting: int = 32
    deadline: float = 3.0
    queue_wait: float = 0.5
    retry_after: int = 1
    exempt_paths: frozenset[str] = field(default_factory=lambda: frozenset({"/healthz"}))
    # Requests whose path starts with one of these skip the queue (threads of their own).
    priority_paths: tuple[str, ...] = ()
    priority_threads: int = 2

    @classmethod
    def from_settings(cls) -> AdmissionPolicy | None:
        """The policy the settings ask for; None when admission control is off."""
        if not settings.ADMISSION_CONTROL:
            return None
        policy = cls(
            max_waiting=max(settings.ADMISSION_MAX_QUEUE, 0),
            deadline=max(settings.ADMISSION_DEADLINE_MS, 0) / 1000,
            queue_wait=max(settings.ADMISSION_QUEUE_WAIT_MS, 0) / 1000,
            retry_after=max(settings.ADMISSION_RETRY_AFTER_SECONDS, 0),
            exempt_paths=frozenset(settings.ADMISSION_EXEMPT_PATHS),
            priority_paths=tuple(settings.ADMISSION_PRIORITY_PATHS),
            priority_threads=max(settings.ADMISSION_PRIORITY_THREADS, 0),
        )
        return policy if policy.max_waiting or policy.deadline else None

    def on_arrival(self, *, waiting: int, expected_wait: float | None = None) -> ShedReason | None:
        """A request arrives while `waiting` others already wait for a thread; `expected_wait`:
        the worker's estimate of how long until a thread takes it (None: no estimate yet)."""
        if not self.max_waiting or waiting < self.max_waiting:
            return None
        if expected_wait is not None and self.queue_wait and expected_wait < self.queue_wait:
            return None
        return ShedReason.QUEUE_FULL

    def on_start(self, *, waited: float) -> ShedReason | None:
        """A thread takes a request that waited `waited` seconds since it arrived."""
        if self.deadline and waited > self.deadline:
            return ShedReason.QUEUE_DEADLINE
        return None

    def is_exempt(self, path: str) -> bool:
        return path in self.exempt_paths

    def is_priority(self, head: bytes) -> bool:
        """Whether the request whose first bytes are `head` ("POST /path HTTP/1.1…", as far as
        they have arrived) goes to the priority lane. A path cut shorter than the prefix does
        not match (it then waits in the queue like any other request)."""
        if not self.priority_paths or not self.priority_threads:
            return False
        target = head.partition(b" ")[2].partition(b" ")[0].partition(b"?")[0]
        return target.decode("latin-1").startswith(self.priority_paths)


class ShedLog:
    """Counts shed requests and says so in the log: at once after a quiet spell, then at most
    once per `interval` seconds with the totals since (a line per shed would add work to an
    overloaded worker)."""

    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.pending: dict[ShedReason, int] = {}
        self.last_logged = -interval
        self.lock = threading.Lock()

    def record(self, reason: ShedReason, path: str) -> None:
        with self.lock:
            self.pending[reason] = self.pending.get(reason, 0) + 1
            now = self.clock()
            if now - self.last_logged < self.interval:
                return
            counts, self.pending, self.last_logged = self.pending, {}, now
        logger.warning(
            "admission control shed %d request(s) (%s), the last for %s",
            sum(counts.values()),
            ", ".join(f"{reason}: {count}" for reason, count in sorted(counts.items())),
            path,
        )


shed_log = ShedLog()


@dataclass(frozen=True)
class ShedAnswer:
    """A complete 503: status line, headers and body, ready for WSGI or ASGI."""

    status: int
    reason_phrase: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _messages(reason: ShedReason) -> tuple[str, str]:
    title = _("The site is busy right now")
    if reason is ShedReason.QUEUE_FULL:
        return title, _("Too many requests are waiting. Please try again in a moment.")
    return title, _("Your request waited too long to be started. Please try again in a moment.")


def shed_language(*, cookie_header: str, accept_language: str) -> str:
    """The language LocaleMiddleware would pick (language cookie, then Accept-Language, then
    the default), without building a request."""
    stand_in = SimpleNamespace(
        COOKIES=parse_cookie(cookie_header) if cookie_header else {},
        META={"HTTP_ACCEPT_LANGUAGE": accept_language},
        path_info="/",
    )
    return translation.get_language_from_request(stand_in, check_path=False)  # type: ignore[arg-type]


# The shed page's only style, allowed by its hash (the page has no nonce: Django never ran).
SHED_PAGE_STYLE = (
    "body{margin:0;padding:0 1rem;font:16px/1.6 system-ui,sans-serif;color:#222;background:#f6f6f6}"
    "main{max-width:30rem;margin:18vh auto 0;padding:1.5rem;background:#fff;border-radius:12px}"
    "h1{font-size:1.4rem;margin:0 0 .5rem}"
    "a{display:inline-block;padding:.5rem 1.25rem;border-radius:999px;background:#ff2442;"
    "color:#fff;text-decoration:none}"
)
SHED_PAGE_STYLE_HASH = (
    "sha256-" + base64.b64encode(hashlib.sha256(SHED_PAGE_STYLE.encode()).digest()).decode()
)

_answers: dict[tuple[ShedReason, bool, str, int], ShedAnswer] = {}


def shed_answer(*, reason: ShedReason, path: str, language: str, retry_after: int) -> ShedAnswer:
    """Problem JSON under /api/ (naming the reason), a short page elsewhere; Retry-After
    always. The few distinct answers (reason x API or page x language) are built once."""
    is_api = path.startswith(API_PREFIX)
    key = (reason, is_api, language, retry_after)
    answer = _answers.get(key)
    if answer is None:
        answer = _answers[key] = _build_answer(
            reason=reason, is_api=is_api, language=language, retry_after=retry_after
        )
    return answer


def warm_shed_answers(policy: AdmissionPolicy) -> None:
    """Build every answer up front (a worker does it at start): the first shed of an overload
    must not pay for loading translation catalogues."""
    for language, _name in settings.LANGUAGES:
        for reason in ShedReason:
            for path in (API_PREFIX, "/"):
                shed_answer(
                    reason=reason, path=path, language=language, retry_after=policy.retry_after
                )


def _build_answer(
    *, reason: ShedReason, is_api: bool, language: str, retry_after: int
) -> ShedAnswer:
    with translation.override(language):
        title, message = _messages(reason)
    if is_api:
        problem = {"error": {"code": "server_busy", "reason": str(reason), "message": message}}
        body = json.dumps(problem, ensure_ascii=False).encode()
        content_type = "application/json"
    else:
        with translation.override(language):
            again = _("Try again")
        body = (
            f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{SHED_PAGE_STYLE}</style></head><body>"
            f"<main><h1>{escape(title)}</h1><p>{escape(message)}</p>"
            f'<p><a href="">{escape(again)}</a></p></main></body></html>\n'
        ).encode()
        content_type = "text/html; charset=utf-8"
    headers: Iterable[tuple[str, str]] = (
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("Retry-After", str(retry_after)),
        ("Cache-Control", "no-store"),
        ("Content-Language", language),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", f"default-src 'none'; style-src '{SHED_PAGE_STYLE_HASH}'"),
        ("X-Shed-Reason", str(reason)),
    )
    return ShedAnswer(
        status=503, reason_phrase="Service Unavailable", headers=tuple(headers), body=body
    )
