"""Tracking reads other rooms need (the back office's home dashboard)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from circlemart.analytics.models import Event, TrackedSession


def visitors_between(*, start: datetime, end: datetime) -> int:
    """Distinct visitors (browser ids, bots left out) seen in [start, end)."""
    return (
        TrackedSession.objects.filter(last_seen_at__gte=start, started_at__lt=end, is_bot=False)
        .values("anonymous_id")
        .distinct()
        .count()
    )


def signed_in_events_for_recommendations(
    *, names: Sequence[str], since: datetime, chunk_size: int = 5000
) -> Iterator[tuple[str, int, str, datetime, object]]:
    """Signed-in users' events with these names since `since`, for training the recommender:
    (name, user_id, object_id, occurred_at, properties["ms"] or None), streamed."""
    from django.db.models.fields.json import KeyTransform

    rows = (
        Event.objects.filter(name__in=list(names), occurred_at__gte=since, user_id__isnull=False)
        .order_by()
        .values_list(
            "name", "user_id", "object_id", "occurred_at", KeyTransform("ms", "properties")
        )
    )
    yield from rows.iterator(chunk_size=chunk_size)
