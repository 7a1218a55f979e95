"""Demo levels: shoppers spread over the levels, one in the grace period, birthday coupons for
today's gold members; a second run adds nothing."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

import pytest

from circlemart.growth.levels.models import (
    BadgeAward,
    BadgeProgress,
    GrowthAccount,
    GrowthValueEntry,
    Level,
    LevelChange,
)
from circlemart.growth.levels.seed import seed_levels
from circlemart.growth.models import RewardGrant
from tests.accounts.factories import UserFactory
from tests.growth.levels.conftest import local
from tests.promotions.conftest import template

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Level,
            GrowthAccount,
            GrowthValueEntry,
            LevelChange,
            BadgeProgress,
            BadgeAward,
            RewardGrant,
        )
    )


def test_seed_spreads_levels_and_is_idempotent(at: Callable[[datetime], None]) -> None:
    at(local(2025, 5, 3, 12))
    gift = template(
        name="满100减10", kind="threshold", min_spend=10000, valid_until=None, valid_days=30
    )
    users = [UserFactory().pk for _ in range(20)]
    summary = seed_levels(rng=random.Random(7), user_ids=users, progress=False)
    assert summary.startswith("levels: 20 members (")
    held = dict(
        GrowthAccount.objects.filter(user_id__in=users).values_list("user_id", "level__code")
    )
    assert set(held.values()) == {"member", "silver", "gold", "platinum"}
    assert held[users[9]] == "platinum"
    in_grace = GrowthAccount.objects.get(user_id=users[3])
    assert (in_grace.level.code, in_grace.grace_until is not None) == ("gold", True)
    assert Level.objects.get(code="gold").birthday_coupon_template_id == gift.pk
    birthday = RewardGrant.objects.get(user_id=users[0])  # index 0: gold, born today
    assert birthday.reason == "level_birthday"

    before = counts()
    seed_levels(rng=random.Random(7), user_ids=users, progress=False)
    assert counts() == before
