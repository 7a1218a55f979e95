"""Notes with a chosen age and engagement, for ranking tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from circlemart.core import clock
from circlemart.social.models import Note
from circlemart.social.services.hotness import engagement_of, hot_score
from tests.social.helpers import note


def shaped_note(
    author: Any, text: str, *, hours_old: float = 1.0, likes: int = 10, **fields: Any
) -> Note:
    """A published note `hours_old` hours old with `likes` likes (counters and hot score set
    as the interaction services would leave them)."""
    written = note(author, text, **fields)
    published_at = clock.now() - timedelta(hours=hours_old)
    Note.objects.filter(pk=written.pk).update(
        published_at=published_at,
        like_count=likes,
        hot_score=hot_score(
            engagement=engagement_of(likes=likes, comments=0, favourites=0, shares=0),
            published_at=published_at,
        ),
    )
    written.refresh_from_db()
    return written
