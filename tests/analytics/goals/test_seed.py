"""The demo's growth goals: the examples of seed 4.1, made once."""

from __future__ import annotations

import pytest

from circlemart.analytics.goals.seed import ORDERS_PER_USER_KEYS, demo_goals_create
from circlemart.analytics.metrics.catalogue import METRICS
from circlemart.analytics.models import GrowthGoal
from tests.accounts.factories import UserFactory
from tests.analytics.goals.factories import daily, today

pytestmark = pytest.mark.django_db


def test_the_demo_goals_are_made_once_from_the_seeded_history() -> None:
    owner = UserFactory()
    daily("dau", [100.0 + day for day in range(56)])
    daily("retention_d1", [0.3] * 56)
    daily("registered_users", [1000.0 + 10 * day for day in range(56)])
    daily("gmv", [200_000.0] * 56)  # ¥2 000 a day
    for key in ORDERS_PER_USER_KEYS:
        if key in METRICS:
            daily(key, [1.2] * 56)

    made = demo_goals_create(owner.pk)
    again = demo_goals_create(owner.pk)

    goals = {goal.metric: goal for goal in GrowthGoal.objects.all()}
    assert len(made.created) == len(goals) == 5 - len(made.skipped)
    assert again.created == []
    assert GrowthGoal.objects.count() == len(made.created)
    assert goals["dau"].target_percent == 30.0
    assert goals["dau"].target_value == pytest.approx(1.3 * (sum(128 + d for d in range(28)) / 28))
    assert goals["retention_d1"].target_value == pytest.approx(0.3 * 1.15)  # +15% of 30%
    assert goals["registered_users"].target_value == 2200  # 1.5 × 1 415 (mean) → 2 122.5 ↑
    gmv = goals["gmv"]
    assert gmv.aggregation == "period_total"
    # Four weeks (¥56 000) scaled to a year and +25%: ¥912 500 → ¥920 000, stored in fen.
    assert gmv.target_value == 92_000_000
    assert (gmv.start_date.month, gmv.start_date.day, gmv.deadline.month, gmv.deadline.day) == (
        1,
        1,
        12,
        31,
    )
    assert gmv.deadline > today()
    assert {goal.owner_id for goal in goals.values()} == {owner.pk}
    if not any(key in METRICS for key in ORDERS_PER_USER_KEYS):
        assert [name for name, _why in made.skipped] == [
            "Orders per user per month +20% · 人均月订单 +20%"
        ]
