"""Levels and badges under real concurrency (PostgreSQL, threads): one key adds growth once,
parallel orders add up exactly and move the member up once per level, a badge is awarded once
however many counted things arrive together."""

from __future__ import annotations

import pytest

from circlemart.growth.levels import services
from circlemart.growth.levels.contracts import BadgeCounter
from circlemart.growth.levels.models import (
    BadgeAward,
    BadgeProgress,
    BadgeRule,
    GrowthAccount,
    GrowthValueEntry,
    Level,
    LevelChange,
)
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_deliveries_of_one_order_add_growth_once(levels: dict[str, Level]) -> None:
    user = UserFactory()
    results = run_together(
        20,
        lambda _i: services.growth_value_for_order(
            buyer_id=user.pk, order_number="A1", kept_amount=60_000
        ),
    )
    assert results == [600] * 20
    assert GrowthValueEntry.objects.filter(user=user).count() == 1
    assert GrowthAccount.objects.get(user=user).total == 600
    assert LevelChange.objects.filter(user=user).count() == 1


def test_parallel_orders_add_up_and_move_up_once_per_level(levels: dict[str, Level]) -> None:
    user = UserFactory()
    results = run_together(
        20,
        lambda i: services.growth_value_for_order(
            buyer_id=user.pk, order_number=f"A{i}", kept_amount=40_000
        ),
    )
    assert results == [400] * 20
    assert GrowthAccount.objects.get(user=user).total == 8000
    ups = LevelChange.objects.filter(user=user).order_by("id")
    assert [change.to_level.code for change in ups][-1] == "platinum"
    codes = [change.to_level.code for change in ups]
    assert len(codes) == len(set(codes))  # never the same level twice
    assert all(change.direction == "up" for change in ups)


def test_a_badge_is_awarded_once_under_parallel_steps(badges: dict[str, BadgeRule]) -> None:
    user = UserFactory()
    run_together(
        20,
        lambda i: services.badge_progress_step(
            user_id=user.pk, counter=BadgeCounter.ORDERS_PAID, idempotency_key=f"o{i}"
        ),
    )
    run_together(
        20,
        lambda _i: services.badge_progress_step(
            user_id=user.pk, counter=BadgeCounter.REVIEWS, idempotency_key="same-review"
        ),
    )
    values = dict(BadgeProgress.objects.filter(user=user).values_list("counter", "value"))
    assert values == {"orders_paid": 20, "reviews": 1}
    assert sorted(BadgeAward.objects.filter(user=user).values_list("rule__code", flat=True)) == [
        "first-order",
        "shopper-10",
    ]
