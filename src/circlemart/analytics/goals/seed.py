"""The demo's growth goals (seed 4.1's examples), measured against the last four weeks of the
seeded history: DAU +30% in 3 months, orders per user per month +20%, D1 retention 40%, a
registered-users target and a yearly GMV target.

Run it after the daily metrics are rolled up; a goal whose metric is not in the catalogue, or
has no baseline data yet, is left out (and named in the result), never half-made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from circlemart.analytics.goals import services
from circlemart.analytics.metrics.catalogue import METRICS
from circlemart.analytics.models import GrowthGoal
from circlemart.core import clock
from circlemart.core.errors import ValidationFailed

Aggregation = GrowthGoal.Aggregation
BASELINE_DAYS = 28
# "Orders per user per month" needs a trailing-30-day ratio metric; the first key the
# catalogue knows is used.
ORDERS_PER_USER_KEYS = ("orders_per_buyer_30d", "orders_per_user_30d", "orders_per_user")


@dataclass(frozen=True)
class DemoGoals:
    created: list[int]
    skipped: list[tuple[str, str]]  # (goal name, why)


def _months_ahead(today: date, months: int) -> date:
    return today + timedelta(days=round(months * 30.44))


def _round_up(value: float) -> int:
    """A round number above `value` (1 234 → 1 300): targets people remember."""
    if value <= 0:
        return 0
    magnitude = 10 ** max(int(math.log10(value)) - 1, 0)
    return int(math.ceil(value / magnitude) * magnitude)


def demo_goals_create(owner_id: int | None, *, today: date | None = None) -> DemoGoals:
    """Create the demo goals; a second run adds none (goals are matched by name)."""
    today = today or timezone.localdate(clock.now())
    baseline_end = today - timedelta(days=1)
    baseline_start = today - timedelta(days=BASELINE_DAYS)
    existing = set(GrowthGoal.objects.values_list("name", flat=True))
    created: list[int] = []
    skipped: list[tuple[str, str]] = []

    def measured(metric: str, aggregation: str) -> float | None:
        return services.baseline_measure(
            metric=metric, start=baseline_start, end=baseline_end, aggregation=aggregation
        )

    # The calendar year, or the next one when less than two months of this one are left.
    year = today.year if (date(today.year, 12, 31) - today).days > 60 else today.year + 1
    year_start, year_end = date(year, 1, 1), date(year, 12, 31)
    orders_per_user = next((key for key in ORDERS_PER_USER_KEYS if key in METRICS), "")
    registered = (
        measured("registered_users", Aggregation.LEVEL) if "registered_users" in METRICS else None
    )
    gmv_four_weeks = measured("gmv", Aggregation.PERIOD_TOTAL) if "gmv" in METRICS else None
    plans: list[tuple[str, str, str, str | float, date]] = [
        (
            "DAU +30% in 3 months · 日活三个月提升 30%",
            "dau",
            Aggregation.LEVEL,
            "+30%",
            _months_ahead(today, 3),
        ),
        (
            "Orders per user per month +20% · 人均月订单 +20%",
            orders_per_user,
            Aggregation.LEVEL,
            "+20%",
            _months_ahead(today, 3),
        ),
        (
            "D1 retention +15% · 次日留存提升 15%",
            "retention_d1",
            Aggregation.LEVEL,
            "+15%",
            _months_ahead(today, 3),
        ),
        (
            "Registered users target · 注册用户目标",
            "registered_users",
            Aggregation.LEVEL,
            _round_up((registered or 0) * 1.5),
            _months_ahead(today, 6),
        ),
        # Four weeks of GMV scaled to a year, +25%: in yuan (the form's and service's unit).
        (
            "Yearly GMV target · 年度 GMV 目标",
            "gmv",
            Aggregation.PERIOD_TOTAL,
            _round_up((gmv_four_weeks or 0) / 100 * 365 / BASELINE_DAYS * 1.25),
            year_end,
        ),
    ]
    for name, metric, aggregation, target, deadline in plans:
        start_date = year_start if deadline == year_end else today
        if name in existing:
            continue
        if not metric or metric not in METRICS:
            skipped.append((name, "metric not in the catalogue"))
            continue
        if target == 0:
            skipped.append((name, "no baseline data"))
            continue
        try:
            goal = services.goal_create(
                name=name,
                metric=metric,
                aggregation=aggregation,
                baseline_start=baseline_start,
                baseline_end=baseline_end,
                target=target,
                start_date=start_date,
                deadline=deadline,
                owner_id=owner_id,
            )
        except ValidationFailed as refused:
            skipped.append((name, str(refused.message)))
            continue
        created.append(goal.pk)
    return DemoGoals(created=created, skipped=skipped)
