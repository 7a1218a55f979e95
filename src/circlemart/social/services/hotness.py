"""Time-decayed popularity for the discover feed.

`log10(engagement) + published_at / 45000 s`: ten times the engagement is worth 12.5 hours of
recency. Unlike `engagement / age^g`, a note's score changes only when its engagement does, so
keyset pages over it stay stable while the feed is read.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.db.models import F

from circlemart.social.models import Note

SECONDS_PER_DECADE = 45000.0


def hot_score(*, engagement: int, published_at: datetime | None) -> float:
    moment = published_at.timestamp() if published_at else 0.0
    return round(math.log10(max(engagement, 1)) + moment / SECONDS_PER_DECADE, 7)


def engagement_of(*, likes: int, comments: int, favourites: int, shares: int) -> int:
    return likes + 2 * comments + 2 * favourites + 3 * shares


def note_hot_score_refresh(note_id: int) -> None:
    """Recompute from the current counters (call after they changed, same transaction)."""
    row = (
        Note.objects.filter(pk=note_id)
        .values("like_count", "comment_count", "favourite_count", "share_count", "published_at")
        .first()
    )
    if row is None:
        return
    engagement = engagement_of(
        likes=row["like_count"],
        comments=row["comment_count"],
        favourites=row["favourite_count"],
        shares=row["share_count"],
    )
    Note.objects.filter(pk=note_id).update(
        hot_score=hot_score(engagement=engagement, published_at=row["published_at"])
    )


def counter_bump(note_id: int, name: str, delta: int) -> None:
    """Conditional F() update of one note counter (never below zero)."""
    query = Note.objects.filter(pk=note_id)
    if delta < 0:
        query = query.filter(**{f"{name}__gte": -delta})
    query.update(**{name: F(name) + delta})
