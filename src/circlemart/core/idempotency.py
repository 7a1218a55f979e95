"""Idempotency keys for API writes.

A write sent with an `Idempotency-Key` header runs once per (caller, key): a retry with the
same body gets the first response replayed; the same key with a different body gets a 409.
Two copies arriving together: one runs, the other gets a 409 "in progress" with Retry-After.

Claiming. The key is claimed (an IdempotencyRecord row, in progress) just before the view
runs, and the view's answer is stored in it for replays — except answers that depend on the
moment (401, 403, 408, 429) and failures (5xx), which are dropped so that a retry runs again.

Views that decide first. A view registered with `claimed_by_view(view_name)` (the flash buy,
where most attempts are refused) is not claimed up front: it decides, and calls `claim()`
just before its first write. The rule for such a view:
- a refusal it gives before claiming must have written nothing (no row, no stock, no money —
  counting a rate-limit attempt is not a write). Nothing is recorded for it, so a retry with
  the same key decides afresh. That is safe because the refused attempt had no effect: at
  most one write per key still holds, since only a claimed request writes;
- before answering such a refusal it asks `key_was_claimed()`: if a copy of the request
  claimed the key earlier (its write may have succeeded, be in progress, or have crashed),
  the answer is what `claim()` says — the first answer replayed, 409 in progress, 409 reused
  with another body, or (an abandoned claim taken over) the view goes on and writes. A retry
  of a successful buy therefore still gets its order, never a fresh "sold out";
- a refusal decided while no copy had claimed yet is answered as it is; a copy claiming
  afterwards runs on its own. Both answers are true for their moment and only one can write;
- once claimed, an answer that is not replayed (5xx, 401, 403, 408, 429, an exception) keeps
  the record, marked abandoned, instead of dropping it: the write may have committed before
  the failure, so the next copy takes the claim over at once and runs the view claimed,
  where the view's own service-level key finds what was written (same key, same order).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse, RawPostDataException
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.models import IdempotencyRecord
from circlemart.core.transactions import atomic_without_waiting_for_disk

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_\-:.]{1,128}$")
# Refusals that depend on the moment, not the request: retrying them must run again.
NOT_REPLAYED = frozenset({401, 403, 408, 429})
ABANDONED_AFTER = timedelta(seconds=60)
# Where the middleware keeps a request's key and, once claimed, its record.
_PENDING_ATTRIBUTE = "_idempotency_pending"
# URL names ("namespace:name") of views that claim their key themselves (see above).
_VIEWS_THAT_CLAIM: set[str] = set()


def _problem(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": code, "message": message, "field": HEADER}}, status=status
    )
    for name, value in headers.items():
        response[name] = value
    return response


def request_fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode())
        digest.update(b"\0")
    try:
        digest.update(request.body)
    except RawPostDataException:
        # A multipart body too large to hold in memory was streamed into request.POST and
        # request.FILES (core.input_characters reads forms first): fingerprint what it held.
        _digest_parsed_form(digest, request)
    return digest.hexdigest()


def _digest_parsed_form(digest: Any, request: HttpRequest) -> None:
    for key, values in sorted(request.POST.lists()):
        digest.update(repr((key, values)).encode())
    for key, uploads in sorted(request.FILES.lists()):
        for upload in uploads:
            digest.update(repr((key, upload.name, upload.size)).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)


def request_scope(request: HttpRequest) -> str:
    resolver: Callable[[HttpRequest], str | None] = import_string(
        settings.IDEMPOTENCY_SCOPE_RESOLVER
    )
    scope = resolver(request)
    if scope:
        return scope
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        return f"session:{hashlib.sha256(session_key.encode()).hexdigest()[:32]}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body or b""),
        status=record.response_status or 200,
        content_type=record.response_content_type or "application/json",
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _take_over_if_abandoned(record: IdempotencyRecord) -> bool:
    """A record left in progress by a crashed worker may be claimed by the next retry."""
    return bool(
        IdempotencyRecord.objects.filter(
            pk=record.pk,
            state=IdempotencyRecord.State.IN_PROGRESS,
            created_at__lt=clock.now() - ABANDONED_AFTER,
        ).update(created_at=clock.now())
    )


@dataclass
class _Pending:
    """An unsafe request's key, and its record once claimed."""

    key: str
    record: IdempotencyRecord | None = None
    decides_first: bool = False  # the view claims itself (claimed_by_view)


def _pending(request: HttpRequest) -> _Pending | None:
    pending = getattr(request, _PENDING_ATTRIBUTE, None)
    return pending if isinstance(pending, _Pending) else None


def claimed_by_view(view_name: str) -> str:
    """Register the view behind this URL name ("namespace:name", as `request.resolver_match`
    spells it) as one that decides first and calls `claim()` before its first write. Returns
    the name, for the route."""
    _VIEWS_THAT_CLAIM.add(view_name)
    return view_name


def claim(request: HttpRequest) -> HttpResponse | None:
    """Claim the request's key before the first write. None: go on (claimed, claimed already,
    or no key was sent). A response: answer with it and write nothing — the first answer
    replayed, 409 idempotency_key_reused or 409 idempotency_request_in_progress."""
    pending = _pending(request)
    if pending is None or pending.record is not None:
        return None
    scope = request_scope(request)
    fingerprint = request_fingerprint(request)
    while True:
        try:
            with atomic_without_waiting_for_disk():  # see _record
                pending.record = IdempotencyRecord.objects.create(
                    scope=scope,
                    key=pending.key,
                    method=request.method or "",
                    path=request.path[:400],
                    request_hash=fingerprint,
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(scope=scope, key=pending.key).first()
            if existing is None:  # purged between the insert and the read: claim again
                continue
            if existing.request_hash != fingerprint:
                return _problem(
                    409,
                    "idempotency_key_reused",
                    _("This Idempotency-Key was already used for a different request."),
                )
            if existing.state == IdempotencyRecord.State.COMPLETED:
                return _replay(existing)
            if not _take_over_if_abandoned(existing):
                return _problem(
                    409,
                    "idempotency_request_in_progress",
                    _("A request with this Idempotency-Key is still being processed."),
                    **{"Retry-After": "1"},
                )
            pending.record = existing
        return None


def key_was_claimed(request: HttpRequest) -> bool:
    """Whether some request claimed this request's key already (one indexed read). A view
    that refuses before claiming asks this first; see the module docstring."""
    pending = _pending(request)
    if pending is None:
        return False
    if pending.record is not None:
        return True
    return _record_exists(scope=request_scope(request), key=pending.key)


def _record_exists(*, scope: str, key: str) -> bool:
    # Asked on every refusal of a flash sale, so written once by hand: on the unique index
    # (scope, key), about a fifth of what building the same query through the ORM costs.
    quote = connection.ops.quote_name
    table, scope_column, key_column = (
        quote(IdempotencyRecord._meta.db_table),
        quote("scope"),
        quote("key"),
    )
    # the model's own names (its fields have no db_column), the values as parameters
    sql = f"SELECT 1 FROM {table} WHERE {scope_column} = %s AND {key_column} = %s LIMIT 1"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [scope, key])
        return cursor.fetchone() is not None


def _drop(pending: _Pending, record: IdempotencyRecord) -> None:
    """A claimed request whose answer is not to be replayed: the next copy runs again. Most
    views' records go. A view that decides first claims just before it writes, so whatever
    failed may have come after its write: its record stays, already abandoned, and the next
    copy takes it over at once and runs the view claimed (the view's own service-level key
    finds what was written)."""
    if not pending.decides_first:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        return
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=clock.now() - ABANDONED_AFTER - timedelta(seconds=1)
    )


def _record(pending: _Pending, record: IdempotencyRecord, response: HttpResponse) -> HttpResponse:
    if response.status_code >= 500 or response.status_code in NOT_REPLAYED or response.streaming:
        _drop(pending, record)
        return response
    # The claim and the stored answer commit without waiting for the disk. A database crash can
    # lose them only as a crash of this process could: a claim whose view wrote nothing durable
    # (the view's own commit flushes the claim with it), or an answer whose claim is then taken
    # over as abandoned, as after a process that died before storing it.
    with atomic_without_waiting_for_disk():
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            state=IdempotencyRecord.State.COMPLETED,
            response_status=response.status_code,
            response_body=response.content,
            response_content_type=response.get("Content-Type", ""),
        )
    return response


class IdempotencyMiddleware:
    """Checks the key's shape up front, claims it just before the view runs (`process_view`,
    once the URL is resolved, so that views that decide first can be told apart) and stores
    the answer of a claimed request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method not in UNSAFE_METHODS:
            return self.get_response(request)
        if not KEY_PATTERN.fullmatch(key):
            return _problem(
                400,
                "invalid_idempotency_key",
                _("Idempotency-Key must be 1–128 letters, digits or - _ : ."),
            )
        pending = _Pending(key=key)
        setattr(request, _PENDING_ATTRIBUTE, pending)
        try:
            response = self.get_response(request)
        except BaseException:
            if pending.record is not None:
                _drop(pending, pending.record)
            raise
        if pending.record is None:
            # Never claimed: an answer given by claim() itself, a URL that resolved to no
            # view, or a view that decides first and refused before writing anything.
            return response
        return _record(pending, pending.record, response)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        pending = _pending(request)
        if pending is None:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in _VIEWS_THAT_CLAIM:
            pending.decides_first = True
            return None  # the view decides first and claims before it writes
        return claim(request)
