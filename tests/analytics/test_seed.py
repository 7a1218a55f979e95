"""The demo world comes with an analytics history: visits over 90 days, orders in their
visits, daily metrics rolled up and growth goals evaluated — and a second run adds nothing."""

from __future__ import annotations

import pytest
from django.db.models import Count

from circlemart.analytics.models import DailyMetric, Event, GrowthGoal, TrackedSession
from circlemart.analytics.seed import HISTORY_DAYS
from circlemart.config.seed import seed_world

pytestmark = pytest.mark.django_db


def test_the_demo_world_has_a_living_analytics_history() -> None:
    seed_world(seed=5, users=60, products=30, progress=False)
    events = Event.objects.count()

    seed_world(seed=5, users=60, products=30, progress=False)

    assert Event.objects.count() == events  # nothing twice
    days_with_visitors = DailyMetric.objects.filter(metric="dau", dimension="", value__gt=0)
    assert days_with_visitors.count() >= HISTORY_DAYS - 2
    assert DailyMetric.objects.filter(metric="orders_paid", dimension="", value__gt=0).exists()
    # Every demo order was placed in a visit of its buyer, so visits convert.
    assert DailyMetric.objects.filter(metric="conversion_rate", dimension="", value__gt=0).exists()
    bot_sessions = TrackedSession.objects.filter(is_bot=True).values_list("session_id", flat=True)
    assert bot_sessions.exists()
    assert not Event.objects.filter(session_id__in=list(bot_sessions)).exists()
    sources = set(TrackedSession.objects.values_list("source", flat=True))
    assert {"direct", "search", "social", "share", "campaign", "ad"} <= sources
    goals = GrowthGoal.objects.values("status").annotate(n=Count("id"))
    assert sum(row["n"] for row in goals) >= 3
    assert all(row["status"] != "unknown" for row in goals)
