"""Tracking consent: who allowed analytics, who declined, and what nobody decided means.

The reading is PIPL's opt-in: strictly necessary events (the catalogue's `is_necessary`:
registrations, orders, payments, refunds) are always kept; every other event — client events
and non-necessary server events — only once the subject accepted the banner. Until then, and
after a decline, nothing optional is stored and no anonymous-id cookie is set. Operators
under a regime that allows opt-out set ANALYTICS_CONSENT_REQUIRED=false: then an undecided
subject counts as allowed and only an explicit decline stops tracking.

A visitor's choice lives in the CONSENT_COOKIE ("1"/"0") and, once they have an anonymous id,
in a TrackingConsent row; a signed-in user's choice is stored by user id and wins over the
cookie. On sign-in an undecided account takes the visitor's choice (see identity_merge).
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from circlemart.analytics.models import TrackingConsent
from circlemart.core import clock

CONSENT_COOKIE = "cm_consent"
CONSENT_COOKIE_MAX_AGE = 365 * 24 * 3600


class Choice(StrEnum):
    ALLOWED = "allowed"
    DECLINED = "declined"
    UNDECIDED = "undecided"


def _default_allowed() -> bool:
    return not settings.ANALYTICS_CONSENT_REQUIRED


def _allowed(choice: Choice) -> bool:
    if choice is Choice.UNDECIDED:
        return _default_allowed()
    return choice is Choice.ALLOWED


def stored_choice(*, user_id: int | None, anonymous_id: str = "") -> Choice:
    """The recorded answer: the user's if signed in and decided, else the visitor's."""
    if user_id is not None:
        row = TrackingConsent.objects.filter(user_id=user_id).values_list("allowed", flat=True)
        for allowed in row:
            return Choice.ALLOWED if allowed else Choice.DECLINED
    if anonymous_id:
        row = TrackingConsent.objects.filter(
            user_id__isnull=True, anonymous_id=anonymous_id
        ).values_list("allowed", flat=True)
        for allowed in row:
            return Choice.ALLOWED if allowed else Choice.DECLINED
    return Choice.UNDECIDED


def tracking_allowed(*, user_id: int | None, anonymous_id: str = "") -> bool:
    """May a non-necessary event about this subject be stored? Server events that are not
    `is_necessary` ask this before they are recorded."""
    return _allowed(stored_choice(user_id=user_id, anonymous_id=anonymous_id))


def cookie_choice(request: HttpRequest) -> Choice:
    value = request.COOKIES.get(CONSENT_COOKIE, "")
    if value == "1":
        return Choice.ALLOWED
    if value == "0":
        return Choice.DECLINED
    return Choice.UNDECIDED


# Where the session keeps a signed-in user's answer, so page loads need no query for it.
CONSENT_SESSION_KEY = "analytics_consent"


def request_choice(request: HttpRequest, *, look_up: bool = False) -> Choice:
    """The choice that governs this browser request: a signed-in user's answer (cached in the
    session by the tracking middleware), else the browser's cookie. Page loads never query
    for it (their query budgets stay as they were); `look_up` (the events endpoint) also
    asks the database for a signed-in caller with neither, e.g. an app with a bearer token."""
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    session = getattr(request, "session", None)
    cached = session.get(CONSENT_SESSION_KEY) if user_id and session is not None else None
    if cached in {Choice.ALLOWED.value, Choice.DECLINED.value}:
        return Choice(cached)
    from_cookie = cookie_choice(request)
    # cached == "undecided": looked up already this session, nothing stored.
    if from_cookie is Choice.UNDECIDED and look_up and user_id is not None and cached is None:
        return stored_choice(user_id=user_id)
    return from_cookie


def request_tracking_allowed(request: HttpRequest, *, look_up: bool = False) -> bool:
    return _allowed(request_choice(request, look_up=look_up))


def remember_choice(request: HttpRequest, choice: Choice) -> None:
    """Cache a signed-in user's answer in their session."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is not None and user is not None and user.is_authenticated:
        session[CONSENT_SESSION_KEY] = choice.value


def consent_record(*, allowed: bool, user_id: int | None = None, anonymous_id: str = "") -> None:
    """Store a subject's answer (the latest one wins). A user's answer is kept by user id; a
    visitor's by anonymous id when they have one (a decline before any id has nothing to key
    on: the cookie alone carries it)."""
    now = clock.now()
    with transaction.atomic():
        if user_id is not None:
            TrackingConsent.objects.update_or_create(
                user_id=user_id, defaults={"allowed": allowed, "decided_at": now}
            )
        if anonymous_id:
            TrackingConsent.objects.update_or_create(
                user_id=None,
                anonymous_id=anonymous_id[:64],
                defaults={"allowed": allowed, "decided_at": now},
            )


def consent_adopt(*, user_id: int, anonymous_id: str, cookie: Choice = Choice.UNDECIDED) -> None:
    """On sign-in: an account that never answered takes the answer its visitor gave (stored
    by anonymous id, else the consent cookie)."""
    if stored_choice(user_id=user_id) is not Choice.UNDECIDED:
        return
    visitor = stored_choice(user_id=None, anonymous_id=anonymous_id) if anonymous_id else cookie
    if visitor is Choice.UNDECIDED:
        visitor = cookie
    if visitor is not Choice.UNDECIDED:
        consent_record(allowed=visitor is Choice.ALLOWED, user_id=user_id)
