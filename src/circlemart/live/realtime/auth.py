"""The websocket handshake's checks: the page's origin, the bearer token (a header or a
subprotocol, never the query string) and the viewer's language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable
from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import validate_host
from django.utils import translation
from django.utils.http import is_same_domain
from django.utils.translation import trans_real

from circlemart.accounts.selectors import request_user_by_access_token
from circlemart.core.errors import DomainError

SUBPROTOCOL = "live.v1"
BEARER_SUBPROTOCOL_PREFIX = "bearer."
ORIGIN_REFUSED_CODE = 4403

Scope = dict[str, Any]
ASGIApp = Any


def _header(scope: Scope, name: bytes) -> str | None:
    for header_name, value in scope.get("headers", []):
        if header_name.lower() == name:
            return bytes(value).decode("latin1")
    return None


def origin_allowed(origin: str | None) -> bool:
    """A browser's page origin must be this site's; a client with no Origin is no browser."""
    if origin is None:
        return True
    parsed = urlparse(origin)
    if not parsed.scheme or not parsed.hostname:
        return False  # "null" (sandboxed frames, files) and garbage
    normalized = f"{parsed.scheme}://{parsed.netloc}".lower()
    site = urlparse(settings.SITE_URL)
    if normalized == f"{site.scheme}://{site.netloc}".lower():
        return True
    for trusted in getattr(settings, "CSRF_TRUSTED_ORIGINS", []):
        trusted_parsed = urlparse(trusted)
        # "https://*.example.com" as Django's CSRF check reads it: the domain and subdomains.
        pattern = trusted_parsed.netloc.lower().removeprefix("*")
        if trusted_parsed.scheme == parsed.scheme and is_same_domain(
            parsed.netloc.lower(), pattern
        ):
            return True
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return validate_host(parsed.hostname, allowed)


class OriginCheck:
    """Refuses a handshake from another site's page: accepted, then closed with 4403 so that
    the browser sees why (a refusal before accept reaches scripts as a bare 1006)."""

    def __init__(self, application: ASGIApp) -> None:
        self.application = application

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] != "websocket" or origin_allowed(_header(scope, b"origin")):
            await self.application(scope, receive, send)
            return
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept", "subprotocol": None, "headers": []})
        await send({"type": "websocket.close", "code": ORIGIN_REFUSED_CODE, "reason": ""})


def bearer_token(scope: Scope) -> str | None:
    """`Authorization: Bearer <token>`, or the subprotocol `bearer.<token>` (browsers)."""
    header = _header(scope, b"authorization") or ""
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    for protocol in scope.get("subprotocols") or []:
        if protocol.startswith(BEARER_SUBPROTOCOL_PREFIX):
            return protocol[len(BEARER_SUBPROTOCOL_PREFIX) :] or None
    return None


def _user_by_token(token: str) -> Any:
    user = request_user_by_access_token(token)
    if user is None:
        return None
    try:
        if not user.is_active:  # builds a remembered token's user (snapshot or re-checked row)
            return None
    except DomainError:
        return None
    return user


class BearerTokenAuth:
    """Inside channels' AuthMiddlewareStack: a valid bearer token replaces the session user."""

    def __init__(self, application: ASGIApp) -> None:
        self.application = application

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        token = bearer_token(scope)
        if token:
            user = await database_sync_to_async(_user_by_token)(token)
            if user is not None:
                scope = dict(scope, user=user, token_authenticated=True)
        await self.application(scope, receive, send)


def scope_language(scope: Scope) -> str:
    """The language cookie, else Accept-Language, else the site's language."""
    cookies = scope.get("cookies") or {}
    code = cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    accept = _header(scope, b"accept-language") or ""
    for accept_lang, _quality in trans_real.parse_accept_lang_header(accept):
        if accept_lang == "*":
            break
        try:
            return translation.get_supported_language_variant(accept_lang)
        except LookupError:
            continue
    return str(settings.LANGUAGE_CODE)
