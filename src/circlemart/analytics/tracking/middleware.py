"""Gives a consenting browser its anonymous id (CM_AID cookie) and its current visit (CM_SID
cookie, `<session id>:<last seen>`), and links a visitor to their account when they sign in.

Cheap by design: it acts on page loads only (GET, not htmx partials, not static files, the
API, /hello or the back office), touches the database only when a visit starts or at most
once a minute (see services.visit_resolve), and does nothing at all for a browser that has
not accepted tracking. It records no events: page views come from track.js, so nothing is
counted twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

from circlemart.analytics.tracking import consent, services
from circlemart.analytics.tracking.consent import Choice
from circlemart.analytics.tracking.sources import source_classify
from circlemart.core import clock
from circlemart.core.web import viewer_id

ANONYMOUS_COOKIE = "cm_aid"
VISIT_COOKIE = "cm_sid"
ANONYMOUS_COOKIE_MAX_AGE = 365 * 24 * 3600
VISIT_COOKIE_MAX_AGE = 24 * 3600
# Where the session remembers which (user, anonymous id) pair was already merged.
IDENTITY_SESSION_KEY = "analytics_identity"
SKIPPED_PREFIXES = (
    "/static/",
    "/media/",
    "/api/",
    "/admin/",
    "/i18n/",
    "/hello",
    "/favicon.ico",
    "/tracking/",
    "/backoffice/",
)


@dataclass(frozen=True)
class TrackingContext:
    """What track.js and the events endpoint need to know about this browser."""

    allowed: bool
    anonymous_id: str = ""
    session_id: str = ""


def valid_anonymous_id(value: str) -> bool:
    return 16 <= len(value) <= 64 and value.isalnum()


def own_hosts(request: HttpRequest) -> list[str]:
    hosts = [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host not in {"*", ""}]
    # A disallowed Host is reported by the view that reads it; here it is just not ours.
    with contextlib.suppress(DisallowedHost):
        hosts.append(request.get_host().split(":")[0])
    return hosts


def _identity_step(request: HttpRequest, user_id: int, anonymous_id: str) -> None:
    """Once per (user, browser) pair: adopt the visitor's consent answer on an undecided
    account, cache the account's answer in the session, claim the visitor's events."""
    marker = f"{user_id}:{anonymous_id}"
    if request.session.get(IDENTITY_SESSION_KEY) == marker:
        return
    cookie = consent.cookie_choice(request)
    consent.consent_adopt(user_id=user_id, anonymous_id=anonymous_id, cookie=cookie)
    stored = consent.stored_choice(user_id=user_id)
    consent.remember_choice(request, stored)
    if anonymous_id and stored is Choice.ALLOWED:
        services.identity_merge(anonymous_id=anonymous_id, user_id=user_id)
    request.session[IDENTITY_SESSION_KEY] = marker


class TrackingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tracking = TrackingContext(allowed=False)  # type: ignore[attr-defined]
        if not self._tracks(request):
            return self.get_response(request)
        anonymous_id = request.COOKIES.get(ANONYMOUS_COOKIE, "")
        if not valid_anonymous_id(anonymous_id):
            anonymous_id = ""
        user_id = viewer_id(request)
        has_our_cookies = anonymous_id or consent.CONSENT_COOKIE in request.COOKIES
        # A browser without our cookies never answered the banner here: nothing to link,
        # and its page loads cost no query.
        if user_id is not None and has_our_cookies:
            _identity_step(request, user_id, anonymous_id)
        if not consent.request_tracking_allowed(request):
            return self.get_response(request)
        fresh_id = not anonymous_id
        anonymous_id = anonymous_id or services.new_id()
        now = clock.now()
        visit = services.visit_resolve(
            cookie_value=request.COOKIES.get(VISIT_COOKIE, ""),
            anonymous_id=anonymous_id,
            user_id=user_id,
            now=now,
            source=source_classify(
                query=request.GET,
                referrer=request.headers.get("Referer", ""),
                own_hosts=own_hosts(request),
            ),
            landing_path=request.get_full_path(),
            user_agent=request.headers.get("User-Agent", ""),
        )
        request.tracking = TrackingContext(  # type: ignore[attr-defined]
            allowed=True, anonymous_id=anonymous_id, session_id=visit.session_id
        )
        response = self.get_response(request)
        if fresh_id:
            set_anonymous_cookie(response, anonymous_id)
        if visit.last_seen != _cookie_seen(request):
            response.set_cookie(
                VISIT_COOKIE,
                services.visit_cookie_value(visit),
                max_age=VISIT_COOKIE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    @staticmethod
    def _tracks(request: HttpRequest) -> bool:
        return (
            request.method == "GET"
            and not request.path_info.startswith(SKIPPED_PREFIXES)
            and "HX-Request" not in request.headers
        )


def _cookie_seen(request: HttpRequest) -> int | None:
    parsed = services.visit_cookie_parse(request.COOKIES.get(VISIT_COOKIE, ""))
    return parsed[1] if parsed else None


def set_anonymous_cookie(response: HttpResponse, anonymous_id: str) -> None:
    response.set_cookie(
        ANONYMOUS_COOKIE,
        anonymous_id,
        max_age=ANONYMOUS_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
