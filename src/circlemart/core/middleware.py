"""Cross-cutting HTTP middleware: request ids and the Content-Security-Policy header."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from circlemart.core.logging import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9\-_.]{8,64}$")


class RequestIdMiddleware:
    """Take the caller's X-Request-ID when it looks sane, else mint one; echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _ACCEPTABLE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


STRICT_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; media-src 'self' https:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The admin theme uses Alpine.js (evaluates expressions) and inline styles; the API docs page
# runs an inline bootstrap script. Both are staff/developer pages, not shopper pages.
RELAXED_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
RELAXED_PREFIXES = ("/admin/", "/api/docs", "/api/v1/docs")


class ContentSecurityPolicyMiddleware:
    """Every HTML answer carries a CSP; shopper pages allow only scripts with this nonce."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            relaxed = request.path.startswith(RELAXED_PREFIXES)
            policy = RELAXED_POLICY if relaxed else STRICT_POLICY.format(nonce=nonce)
            response["Content-Security-Policy"] = policy
        return response


class DomainErrorMiddleware:
    """A DomainError escaping an HTML view becomes its 4xx page, never a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from circlemart.core.errors import DomainError

        if not isinstance(exception, DomainError):
            return None
        context = {"status": exception.status, "message": exception.message}
        return render(request, "error.html", context, status=exception.status)
