"""The device cookie: proof that this browser once signed in to an account.

It is issued only after a successful sign-in and names that account, so a stranger cannot
hold one for someone else's account. Attempts that carry it are counted for that device
rather than for the IP address, and the account-wide and per-IP ceilings do not apply to it:
whoever hammers the account from elsewhere does not slow its owner down.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "cm_device"
_SALT = "circlemart.accounts.signin.device"
_MAX_LENGTH = 512


def device_from_request(request: HttpRequest) -> str:
    """The raw cookie value (checked later against the account being signed in to)."""
    return request.COOKIES.get(COOKIE_NAME, "")[:_MAX_LENGTH]


def device_issue(*, user_id: int) -> str:
    return signing.dumps({"u": user_id, "d": secrets.token_urlsafe(12)}, salt=_SALT)


def device_id_for(raw: str, *, user_id: int) -> str | None:
    """The device id when `raw` is a valid, unexpired cookie issued to this user, else None."""
    if not raw:
        return None
    try:
        payload = signing.loads(raw, salt=_SALT, max_age=settings.LOGIN_DEVICE_COOKIE_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("u") != user_id:
        return None
    device_id = payload.get("d")
    return device_id if isinstance(device_id, str) and device_id else None


def device_owner_id(raw: str) -> int | None:
    """The account this browser last signed in to, when `raw` is a valid, unexpired cookie."""
    if not raw:
        return None
    try:
        payload = signing.loads(raw, salt=_SALT, max_age=settings.LOGIN_DEVICE_COOKIE_DAYS * 86400)
    except signing.BadSignature:
        return None
    owner = payload.get("u") if isinstance(payload, dict) else None
    return owner if isinstance(owner, int) else None


def device_remember(response: HttpResponse, *, user_id: int) -> None:
    """Set the cookie on the answer to a successful sign-in."""
    response.set_cookie(
        COOKIE_NAME,
        device_issue(user_id=user_id),
        max_age=settings.LOGIN_DEVICE_COOKIE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
