"""Cross-cutting HTTP middleware: request ids, security headers (Content-Security-Policy,
Permissions-Policy), refusing unusable characters at the edge, judging bearer tokens, page
messages kept off the API."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from circlemart.core.input_characters import forbidden_field
from circlemart.core.logging import request_id_var

API_PREFIX = "/api/"
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
# The live rooms' pages open a websocket (to LIVE_WEBSOCKET_URL's origin, or their own host over
# ws/wss: older browsers do not count those as 'self') and play the video from whatever media
# server the host gives: hls.js fetches playlists and segments with XHR (connect-src https:),
# feeds them to the player through MediaSource blobs (media-src blob:) and may run in a blob
# worker. Every other directive stays the strict one.
LIVE_PAGE_PREFIX = "/live/"


def websocket_origin(url: str) -> str:
    """`ws://host:port` of a websocket URL (path dropped); "" unless it is ws:// or wss://."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme not in {"ws", "wss"} or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def live_page_policy(policy: str, request: HttpRequest) -> str:
    """The strict policy with the live pages' websocket and media sources added."""
    from django.core.exceptions import DisallowedHost

    sources = ["'self'"]
    configured = websocket_origin(settings.LIVE_WEBSOCKET_URL)
    if configured:
        sources.append(configured)
    try:
        host = request.get_host()
    except DisallowedHost:
        host = ""
    if host and re.fullmatch(r"[A-Za-z0-9.\-:\[\]]+", host):
        same_origin = f"{'wss' if request.is_secure() else 'ws'}://{host}"
        if same_origin != configured:
            sources.append(same_origin)
    sources.append("https:")
    policy = policy.replace("connect-src 'self'", "connect-src " + " ".join(sources), 1)
    policy = policy.replace("media-src 'self' https:", "media-src 'self' https: blob:", 1)
    return policy.replace("; object-src", "; worker-src 'self' blob:; object-src", 1)


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
            if not relaxed and request.path.startswith(LIVE_PAGE_PREFIX):
                policy = live_page_policy(policy, request)
            response["Content-Security-Policy"] = policy
        return response


class PageMessagesMiddleware(MessageMiddleware):
    """django.contrib.messages for pages: the API (/api/) neither shows nor adds one-time
    messages, so its requests skip building the message storage (cookie and session
    backends) and saving it back — a fixed cost of every API call, signed in or not."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith(API_PREFIX):
            return
        super().process_request(request)


class DomainErrorMiddleware:
    """A DomainError escaping an HTML view becomes its 4xx page, never a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from circlemart.core.errors import DomainError

        if not isinstance(exception, DomainError):
            return None
        context = {"status": exception.status, "message": exception.message}
        return render(request, "error.html", context, status=exception.status)


class PermissionsPolicyMiddleware:
    """Every answer says which powerful browser features its page may use (PERMISSIONS_POLICY;
    empty sends no header); an answer that set its own keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.PERMISSIONS_POLICY
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


def refusal(
    request: HttpRequest, *, status: int, code: str, message: str, field: str | None = None
) -> HttpResponse:
    """A refusal given before any view ran: problem JSON under /api/, the error page elsewhere."""
    if request.path_info.startswith(API_PREFIX):
        error: dict[str, Any] = {"code": code, "message": message}
        if field:
            error["field"] = field
        return JsonResponse({"error": error}, status=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


class InputCharactersMiddleware:
    """Refuses NUL bytes and lone surrogates anywhere in a request — path, query, headers,
    cookies, form, multipart or JSON body — before any view, form, session or query sees them
    (PostgreSQL cannot store NUL; a lone surrogate cannot be encoded): a 400 naming the field.
    Sits after LocaleMiddleware so the refusal speaks the caller's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            field = forbidden_field(request)
        except MultiPartParserError:
            return refusal(
                request,
                status=400,
                code="invalid_body",
                message=_("The request body could not be read."),
                field="body",
            )
        if field is None:
            return self.get_response(request)
        return refusal(
            request,
            status=400,
            code="invalid_characters",
            message=_(
                "This value contains a character that is not allowed (NUL or a lone surrogate)."
            ),
            field=field,
        )


class BearerTokenVerdictMiddleware:
    """An API request carrying `Authorization: Bearer …` is judged on that token alone: a bad
    or expired one is a 401 with WWW-Authenticate (so apps know to refresh), never a fallback
    to the session cookie and its CSRF check. Goes right after the middleware that resolves
    tokens (it marks good ones with request.token_authenticated). Paths that issue tokens
    (API_TOKEN_ISSUING_PATHS: sign-in, sign-up, refresh, password reset) ignore a stale one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if (
            path.startswith(API_PREFIX)
            and request.headers.get("Authorization", "")[:7].lower() == "bearer "
            and not getattr(request, "token_authenticated", False)
            and path not in settings.API_TOKEN_ISSUING_PATHS
        ):
            response = refusal(
                request,
                status=401,
                code="invalid_token",
                message=_("The access token is invalid or has expired."),
            )
            response["WWW-Authenticate"] = 'Bearer realm="api", error="invalid_token"'
            return response
        return self.get_response(request)
