"""Tracking reads other rooms need (the back office's home dashboard)."""

from __future__ import annotations

from datetime import datetime

from circlemart.analytics.models import TrackedSession


def visitors_between(*, start: datetime, end: datetime) -> int:
    """Distinct visitors (browser ids, bots left out) seen in [start, end)."""
    return (
        TrackedSession.objects.filter(last_seen_at__gte=start, started_at__lt=end, is_bot=False)
        .values("anonymous_id")
        .distinct()
        .count()
    )
