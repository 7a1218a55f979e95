"""What a browser carries between opening an invite link and signing up: a signed cookie with
the first and the last invite link opened (code, time, channel, utm tags), and a signed
browser id the anti-cheat rules compare. Nothing here trusts what the client could forge:
both cookies are signed, and the touches only name codes the server checks again."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from circlemart.accounts import selectors as account_selectors
from circlemart.core import clock
from circlemart.core.crypto import lookup_digest
from circlemart.core.ratelimit import client_ip
from circlemart.growth.invites.contracts import BindSignals, Touch

INVITE_COOKIE = "cm_invite"
BROWSER_COOKIE = "cm_browser"
_SALT = "circlemart.growth.invites"
_BROWSER_SALT = "circlemart.growth.invites.browser"
_BROWSER_DAYS = 365
_MAX_COOKIE = 2048
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
_TAG = re.compile(r"[^\w.\-]+")


def _clean_tag(value: str, length: int) -> str:
    return _TAG.sub("", value.strip())[:length]


def touch_from_request(request: HttpRequest, *, code: str) -> Touch:
    """This visit as a touch: ?ch= (poster, link, wechat…) and utm_* tags, cleaned and short."""
    utm = {
        key: _clean_tag(request.GET.get(key, ""), 64) for key in UTM_KEYS if request.GET.get(key)
    }
    return Touch(
        code=code,
        at=clock.now(),
        channel=_clean_tag(request.GET.get("ch", ""), 32),
        utm={key: value for key, value in utm.items() if value},
    )


def _touch_json(touch: Touch) -> dict[str, Any]:
    return {"c": touch.code, "at": touch.at.isoformat(), "ch": touch.channel, "u": touch.utm}


def _touch_of(raw: object) -> Touch | None:
    if not isinstance(raw, dict):
        return None
    try:
        utm = raw.get("u") or {}
        return Touch(
            code=str(raw["c"])[:12],
            at=datetime.fromisoformat(str(raw["at"])),
            channel=str(raw.get("ch", ""))[:32],
            utm={str(key)[:20]: str(value)[:64] for key, value in dict(utm).items()},
        )
    except (KeyError, TypeError, ValueError):
        return None


def touches_of(request: HttpRequest) -> tuple[Touch | None, Touch | None]:
    """(first, last) invite links this browser opened, within INVITE_COOKIE_DAYS."""
    raw = request.COOKIES.get(INVITE_COOKIE, "")
    if not raw or len(raw) > _MAX_COOKIE:
        return None, None
    try:
        payload = signing.loads(raw, salt=_SALT, max_age=settings.INVITE_COOKIE_DAYS * 86400)
    except signing.BadSignature:
        return None, None
    if not isinstance(payload, dict):
        return None, None
    first, last = _touch_of(payload.get("f")), _touch_of(payload.get("l"))
    return first or last, last or first


def has_invite_cookie(request: HttpRequest) -> bool:
    return INVITE_COOKIE in request.COOKIES


def touch_remember(request: HttpRequest, response: HttpResponse, touch: Touch) -> None:
    """Keep the first touch, make this one the last."""
    first, _last = touches_of(request)
    payload = {"f": _touch_json(first or touch), "l": _touch_json(touch)}
    response.set_cookie(
        INVITE_COOKIE,
        signing.dumps(payload, salt=_SALT, compress=True),
        max_age=settings.INVITE_COOKIE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def touch_forget(response: HttpResponse) -> None:
    response.delete_cookie(INVITE_COOKIE, samesite="Lax")


def browser_id(request: HttpRequest) -> str:
    raw = request.COOKIES.get(BROWSER_COOKIE, "")
    if not raw or len(raw) > 256:
        return ""
    try:
        value = signing.loads(raw, salt=_BROWSER_SALT, max_age=_BROWSER_DAYS * 86400)
    except signing.BadSignature:
        return ""
    return value if isinstance(value, str) and len(value) <= 32 else ""


def browser_ensure(request: HttpRequest, response: HttpResponse) -> str:
    """This browser's id, issued on first sight (a random value: no fingerprinting)."""
    existing = browser_id(request)
    if existing:
        return existing
    issued = secrets.token_urlsafe(12)
    response.set_cookie(
        BROWSER_COOKIE,
        signing.dumps(issued, salt=_BROWSER_SALT),
        max_age=_BROWSER_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return issued


def ip_digest(request: HttpRequest) -> str:
    return lookup_digest(f"ip:{client_ip(request)}")


def bind_signals(request: HttpRequest) -> BindSignals:
    return BindSignals(
        ip_digest=ip_digest(request),
        browser=browser_id(request),
        device_owner_id=account_selectors.login_device_owner_id(request),
    )


def chosen_touch(request: HttpRequest) -> tuple[Touch | None, Touch | None, Touch | None]:
    """(first, last, the one whose code binds per INVITE_ATTRIBUTION)."""
    first, last = touches_of(request)
    chosen = first if settings.INVITE_ATTRIBUTION == "first" else last
    return first, last, chosen
