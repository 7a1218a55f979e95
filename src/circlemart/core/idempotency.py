"""Idempotency keys for API writes.

A write sent with an `Idempotency-Key` header runs once per (caller, key): a retry with the
same body gets the first response replayed; the same key with a different body gets a 409.
Two copies arriving together: one runs, the other gets a 409 "in progress" with Retry-After.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.models import IdempotencyRecord

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_\-:.]{1,128}$")
# Refusals that depend on the moment, not the request: retrying them must run again.
NOT_REPLAYED = frozenset({401, 403, 408, 429})
ABANDONED_AFTER = timedelta(seconds=60)


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
    digest.update(request.body)
    return digest.hexdigest()


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


class IdempotencyMiddleware:
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
        scope = request_scope(request)
        fingerprint = request_fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    scope=scope,
                    key=key,
                    method=request.method or "",
                    path=request.path[:400],
                    request_hash=fingerprint,
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
            if existing is None:  # purged between the insert and the read: run it again
                return self.__call__(request)
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
            record = existing
        return self._run_and_record(request, record)

    def _run_and_record(self, request: HttpRequest, record: IdempotencyRecord) -> HttpResponse:
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if (
            response.status_code >= 500
            or response.status_code in NOT_REPLAYED
            or (response.streaming)
        ):
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            state=IdempotencyRecord.State.COMPLETED,
            response_status=response.status_code,
            response_body=response.content,
            response_content_type=response.get("Content-Type", ""),
        )
        return response
