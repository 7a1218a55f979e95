"""Rewards under real concurrency (PostgreSQL, threads): one key pays once; a coupon reward
never gives more than its template holds."""

from __future__ import annotations

import pytest

from circlemart.core.errors import Conflict
from circlemart.growth.contracts import Reward, RewardKind
from circlemart.growth.models import RewardGrant
from circlemart.growth.points import selectors as points_selectors
from circlemart.growth.rewards import reward_grant
from circlemart.promotions.coupons.models import CouponTemplate, UserCoupon
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together
from tests.promotions.conftest import template

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_grants_under_one_key_pay_once() -> None:
    user = UserFactory()
    reward = Reward(kind=RewardKind.POINTS, points=30)
    results = run_together(
        20,
        lambda _i: reward_grant(
            user_id=user.pk, reward=reward, reason="checkin", idempotency_key="same"
        ),
    )
    assert sum(1 for result in results if result.was_new) == 1
    assert all(not isinstance(result, Exception) for result in results)
    assert RewardGrant.objects.count() == 1
    assert points_selectors.points_balance(user.pk) == 30


def test_coupon_rewards_stop_at_the_templates_quantity() -> None:
    hidden = template(is_public=False, total_quantity=7)
    users = [UserFactory() for _ in range(20)]
    reward = Reward(kind=RewardKind.COUPON, coupon_template_id=hidden.pk)
    results = run_together(
        20,
        lambda i: reward_grant(
            user_id=users[i].pk, reward=reward, reason="prize", idempotency_key=f"p{i}"
        ),
    )
    refused = [result for result in results if isinstance(result, Conflict)]
    assert len(refused) == 13
    assert all(result.code == "coupon_sold_out" for result in refused)
    assert UserCoupon.objects.filter(template=hidden).count() == 7
    assert RewardGrant.objects.count() == 7
    assert CouponTemplate.objects.get(pk=hidden.pk).claimed_count == 7
