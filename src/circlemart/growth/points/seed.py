"""Demo points: for each demo shopper, purchase points from their completed demo orders, a
fortnight of daily check-in points, a campaign lot that expires soon, and one spend. Every
movement has a fixed idempotency key, so a second run adds nothing."""

from __future__ import annotations

import random
from datetime import timedelta

from circlemart.core import clock
from circlemart.growth.points import orders as points_orders
from circlemart.growth.points import selectors, services
from circlemart.growth.points.contracts import EarnRuleCode
from circlemart.growth.points.models import PointsEntry, PointsLot
from circlemart.orders import selectors as order_selectors

MAX_USERS = 40
CHECKIN_DAYS = 14
ORDERS_PER_USER = 3


def _backdate(entry: PointsEntry, days: int, *, keep_expiry: bool = False) -> None:
    """Move a fresh entry (and its lot) `days` into the past, as if earned then."""
    at = entry.created_at - timedelta(days=days)
    PointsEntry.objects.filter(pk=entry.pk).update(created_at=at)
    lots = PointsLot.objects.filter(entry=entry)
    if keep_expiry:
        lots.update(earned_at=at)
    else:
        lots.update(earned_at=at, expires_at=services.default_expiry(at))


def _seed_user(rng: random.Random, user_id: int) -> int:
    before = PointsEntry.objects.filter(user_id=user_id).count()
    orders = order_selectors.orders_of_buyer(
        buyer_id=user_id, status="completed", limit=ORDERS_PER_USER
    )
    for order in orders.items:
        money = order_selectors.order_money(order.number)
        if money is None:
            continue
        points_orders.points_earn_for_order(
            order_number=order.number,
            buyer_id=user_id,
            lines=[
                {"total": line.total, "refunded_amount": line.refunded_amount}
                for line in money.lines
            ],
        )
    # Every draw is made whether or not its entry exists yet, so a second run (same seed)
    # asks for the same keys and adds nothing.
    missed = {day for day in range(1, CHECKIN_DAYS + 1) if rng.random() < 0.25}
    campaign = rng.choice((100, 200, 300))
    campaign_days = rng.randint(5, 20)
    checkin = max(selectors.points_for(EarnRuleCode.CHECKIN), 1)
    for day in range(CHECKIN_DAYS, 0, -1):
        if day in missed:  # a missed day now and then
            continue
        key = f"seed-points:{user_id}:checkin:{day}"
        if PointsEntry.objects.filter(idempotency_key=key).exists():
            continue
        entry = services.points_earn(
            user_id=user_id, amount=checkin, reason=EarnRuleCode.CHECKIN, idempotency_key=key
        )
        _backdate(entry, day)
    key = f"seed-points:{user_id}:campaign"
    if not PointsEntry.objects.filter(idempotency_key=key).exists():
        services.points_earn(
            user_id=user_id,
            amount=campaign,
            reason=EarnRuleCode.CAMPAIGN,
            idempotency_key=key,
            expires_at=clock.now() + timedelta(days=campaign_days),
        )
    key = f"seed-points:{user_id}:redeem"
    spend = min(selectors.points_spendable(user_id) // 4, 150)
    if spend > 0 and not PointsEntry.objects.filter(idempotency_key=key).exists():
        services.points_spend(user_id=user_id, amount=spend, reason="redeem", idempotency_key=key)
    return PointsEntry.objects.filter(user_id=user_id).count() - before


def seed_points(*, rng: random.Random, user_ids: list[int], progress: bool = True) -> str:
    """Returns a short summary ("points: N entries") for the seed's last line."""
    selectors.earn_rules_ensure()
    made = sum(_seed_user(rng, user_id) for user_id in user_ids[:MAX_USERS])
    return f"points: {made} entries"
