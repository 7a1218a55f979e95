"""Paying rewards: points or a coupon, once per key; a coupon that cannot be given writes
nothing. The ledger core's invariants hold after every movement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum

from circlemart.core import clock
from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.growth.contracts import Reward, RewardKind
from circlemart.growth.models import RewardGrant
from circlemart.growth.points import selectors as points_selectors
from circlemart.growth.points import services as points
from circlemart.growth.points.models import PointsBalance, PointsEntry, PointsLot, PointsPosting
from circlemart.growth.rewards import reward_grant
from circlemart.promotions.coupons.models import UserCoupon
from tests.accounts.factories import UserFactory
from tests.promotions.conftest import template

pytestmark = pytest.mark.django_db


def assert_ledger_balances() -> None:
    for row in PointsBalance.objects.all():
        posted = PointsPosting.objects.filter(account="user", user_id=row.user_id).aggregate(
            total=Sum("amount")
        )["total"]
        lots = PointsLot.objects.filter(user_id=row.user_id).aggregate(total=Sum("remaining"))
        assert row.balance == (posted or 0) == (lots["total"] or 0)
    for entry in PointsEntry.objects.all():
        assert sum(entry.postings.values_list("amount", flat=True)) == 0


def test_a_points_reward_pays_once_per_key() -> None:
    user = UserFactory()
    reward = Reward(kind=RewardKind.POINTS, points=50)
    first = reward_grant(user_id=user.pk, reward=reward, reason="checkin", idempotency_key="k")
    again = reward_grant(user_id=user.pk, reward=reward, reason="checkin", idempotency_key="k")
    assert (first.was_new, again.was_new) == (True, False)
    assert points_selectors.points_balance(user.pk) == 50
    assert RewardGrant.objects.count() == 1
    assert_ledger_balances()


def test_a_coupon_reward_gives_a_hidden_template_without_its_claim_limit() -> None:
    user = UserFactory()
    hidden = template(is_public=False, per_user_limit=1, total_quantity=5)
    reward = Reward(kind=RewardKind.COUPON, coupon_template_id=hidden.pk)
    paid = [
        reward_grant(user_id=user.pk, reward=reward, reason="task", idempotency_key=f"t{day}")
        for day in range(2)
    ]
    assert all(item.was_new for item in paid)
    coupons = UserCoupon.objects.filter(owner=user, template=hidden).order_by("claim_number")
    assert [coupon.claim_number for coupon in coupons] == [1, 2]
    assert {item.user_coupon_id for item in paid} == {coupon.pk for coupon in coupons}
    hidden.refresh_from_db()
    assert hidden.claimed_count == 2


def test_a_sold_out_coupon_reward_writes_nothing() -> None:
    user = UserFactory()
    gone = template(is_public=False, total_quantity=1)
    reward = Reward(kind=RewardKind.COUPON, coupon_template_id=gone.pk)
    reward_grant(user_id=UserFactory().pk, reward=reward, reason="task", idempotency_key="a")
    with pytest.raises(Conflict) as refused:
        reward_grant(user_id=user.pk, reward=reward, reason="task", idempotency_key="b")
    assert refused.value.code == "coupon_sold_out"
    assert not RewardGrant.objects.filter(idempotency_key="b").exists()
    assert not UserCoupon.objects.filter(owner=user).exists()


def test_rewards_refuse_empty_payloads() -> None:
    with pytest.raises(ValueError, match="positive"):
        Reward(kind=RewardKind.POINTS, points=0)
    with pytest.raises(ValueError, match="template"):
        Reward(kind=RewardKind.COUPON)


def test_spend_takes_soonest_expiring_lots_first_and_return_gives_them_back() -> None:
    user = UserFactory()
    now = clock.now()
    points.points_earn(
        user_id=user.pk,
        amount=100,
        reason="a",
        idempotency_key="late",
        expires_at=now + timedelta(days=300),
    )
    points.points_earn(
        user_id=user.pk,
        amount=100,
        reason="b",
        idempotency_key="soon",
        expires_at=now + timedelta(days=10),
    )
    spend = points.points_spend(user_id=user.pk, amount=150, reason="order", idempotency_key="s")
    lots = {lot.entry.idempotency_key: lot.remaining for lot in PointsLot.objects.all()}
    assert lots == {"late": 50, "soon": 0}
    points.points_return(spend_entry_id=spend.pk, amount=60, reason="refund", idempotency_key="r")
    lots = {lot.entry.idempotency_key: lot.remaining for lot in PointsLot.objects.all()}
    assert lots == {"late": 100, "soon": 10}  # the last consumed comes back first
    assert points_selectors.points_balance(user.pk) == 110
    assert (
        points.points_return(
            spend_entry_id=spend.pk, amount=500, reason="refund", idempotency_key="r2"
        ).amount
        == 90
    )  # type: ignore[union-attr]
    assert (
        points.points_return(
            spend_entry_id=spend.pk, amount=1, reason="refund", idempotency_key="r3"
        )
        is None
    )
    assert points_selectors.points_balance(user.pk) == 200
    assert_ledger_balances()


def test_a_short_balance_refuses_and_writes_nothing() -> None:
    user = UserFactory()
    points.points_earn(user_id=user.pk, amount=10, reason="a", idempotency_key="e")
    with pytest.raises(Conflict) as refused:
        points.points_spend(user_id=user.pk, amount=11, reason="order", idempotency_key="s")
    assert refused.value.code == "insufficient_points"
    assert not PointsEntry.objects.filter(idempotency_key="s").exists()
    assert points_selectors.points_balance(user.pk) == 10
    for bad in (0, -5, 1.5, True):
        with pytest.raises(ValidationFailed):
            points.points_earn(user_id=user.pk, amount=bad, reason="a", idempotency_key="x")  # type: ignore[arg-type]
    assert_ledger_balances()


def test_an_expired_lot_leaves_the_balance_once() -> None:
    user = UserFactory()
    points.points_earn(
        user_id=user.pk,
        amount=40,
        reason="a",
        idempotency_key="e",
        expires_at=clock.now() + timedelta(days=1),
    )
    lot = PointsLot.objects.get()
    assert points.points_expire_lot(lot_id=lot.pk) is None  # not due yet
    PointsLot.objects.filter(pk=lot.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    expired = points.points_expire_lot(lot_id=lot.pk)
    assert expired is not None
    assert expired.amount == 40
    assert points.points_expire_lot(lot_id=lot.pk) is None
    assert points_selectors.points_balance(user.pk) == 0
    assert_ledger_balances()
