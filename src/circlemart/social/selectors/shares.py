"""Share attribution: which sharer brought a visitor (the orders app asks at checkout)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest

from circlemart.core import clock
from circlemart.social.contracts import ShareAttribution, ShareToken
from circlemart.social.models import ShareVisit

SESSION_KEY = "social_share"


def share_token_decode(token: str) -> ShareToken | None:
    """The note and sharer a `?s=` token names; None when forged, damaged or expired."""
    from circlemart.social.services.interactions import share_token_decode as decode

    return decode(token)


def attribution_for_request(request: HttpRequest) -> ShareAttribution | None:
    """The share that brought this visitor: a `?s=` token on this request, else the last
    share link opened in this session, else the signed-in user's last recorded share visit
    (within SOCIAL_SHARE_MAX_AGE_DAYS). Never the visitor's own share."""
    user = getattr(request, "user", None)
    viewer_id = user.pk if user is not None and user.is_authenticated else None
    token = request.GET.get("s", "")
    if token:
        decoded = share_token_decode(token)
        if decoded is not None and decoded.sharer_id != viewer_id:
            return ShareAttribution(
                note_id=decoded.note_id, sharer_id=decoded.sharer_id, visited_at=clock.now()
            )
    session = getattr(request, "session", None)
    stored = session.get(SESSION_KEY) if session is not None else None
    if isinstance(stored, dict):
        try:
            attribution = ShareAttribution(
                note_id=int(stored["note_id"]),
                sharer_id=int(stored["sharer_id"]),
                visited_at=datetime.fromisoformat(str(stored["at"])),
            )
        except (KeyError, TypeError, ValueError):
            attribution = None
        if (
            attribution is not None
            and attribution.sharer_id != viewer_id
            and _recent(attribution.visited_at)
        ):
            return attribution
    if viewer_id is not None:
        return attribution_for_user(viewer_id)
    return None


def attribution_for_user(user_id: int) -> ShareAttribution | None:
    since = clock.now() - timedelta(days=settings.SOCIAL_SHARE_MAX_AGE_DAYS)
    visit = (
        ShareVisit.objects.filter(visitor_id=user_id, at__gte=since)
        .exclude(sharer_id=user_id)
        .order_by("-at", "-id")
        .first()
    )
    if visit is None:
        return None
    return ShareAttribution(note_id=visit.note_id, sharer_id=visit.sharer_id, visited_at=visit.at)


def _recent(moment: datetime) -> bool:
    return moment >= clock.now() - timedelta(days=settings.SOCIAL_SHARE_MAX_AGE_DAYS)


def share_visits_of_sharer(sharer_id: int) -> int:
    return ShareVisit.objects.filter(sharer_id=sharer_id).count()
