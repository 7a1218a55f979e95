"""Writes of points around an order: spending at checkout (the commit hook), giving spent
points back on cancel and refund, crediting purchase points when the after-sales window closes
and taking them back when a later refund reduces what was kept.

Each runs with the buyer's balance row locked and computes the cumulative target from the
order as it stands now, then moves only the difference: a redelivered or late event moves
nothing more, and nothing ever goes past what was spent or earned."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F, Sum

from circlemart.core import clock
from circlemart.growth.points import calculation, selectors, services
from circlemart.growth.points.contracts import EarnRuleCode, EntryKind
from circlemart.growth.points.models import (
    PointsEntry,
    PointsLotUse,
    PointsOrderEarning,
)
from circlemart.orders import selectors as order_selectors
from circlemart.pricing.contracts import PlacedOrder

logger = logging.getLogger(__name__)


def spend_key(order_number: str) -> str:
    return f"points-checkout:{order_number}"


def points_spend_for_order(placed: PlacedOrder) -> PointsEntry | None:
    """The commit hook: spend what the quote used, inside the order's transaction. A balance
    that fell short since the quote raises 409 insufficient_points and the order is not
    written."""
    used, _amount = selectors.used_in_quote(placed.quote)
    if used <= 0:
        return None
    return services.points_spend(
        user_id=placed.buyer_id,
        amount=used,
        reason=selectors.REASON_CHECKOUT,
        reference=placed.order_number,
        idempotency_key=spend_key(placed.order_number),
    )


def _spend_of(order_number: str) -> PointsEntry | None:
    return PointsEntry.objects.filter(
        idempotency_key=spend_key(order_number), kind=EntryKind.SPEND
    ).first()


def _returned(spend: PointsEntry) -> int:
    total = PointsLotUse.objects.filter(entry=spend).aggregate(total=Sum("returned"))["total"]
    return int(total or 0)


def points_return_for_order(
    *, order_number: str, reason: str, event_key: str, fully: bool = False
) -> int:
    """Give back the points the order spent: all of them when it was cancelled (`fully`), else
    the refunded share of what was paid, counted cumulatively from the order's refunds so far.
    Returns the points given back now."""
    spend = _spend_of(order_number)
    if spend is None:
        return 0
    with transaction.atomic():
        services.lock_balance(spend.user_id)
        if fully:
            target = spend.amount
        else:
            money = order_selectors.order_money(order_number)
            if money is None:
                return 0
            target = calculation.returned_for_refund(
                spent=spend.amount,
                refunded=money.refunded_amount,
                paid=money.paid_amount,
                fully=money.refunded_amount >= money.paid_amount > 0,
            )
        due = target - _returned(spend)
        if due <= 0:
            return 0
        entry = services.points_return(
            spend_entry_id=spend.pk,
            amount=due,
            reason=reason,
            idempotency_key=f"points-return:{order_number}:{event_key}",
        )
    return entry.amount if entry is not None else 0


def points_earn_for_order(
    *, order_number: str, buyer_id: int, lines: list[dict[str, int]]
) -> PointsOrderEarning | None:
    """Purchase points for an order whose after-sales window closed: on what was kept (each
    line's paid total less its refunds, shipping excluded), at the rule's rate per yuan times
    the buyer's level multiplier. Once per order."""
    kept = sum(max(line.get("total", 0) - line.get("refunded_amount", 0), 0) for line in lines)
    rate = selectors.points_for(EarnRuleCode.ORDER_PAID_PER_YUAN)
    multiplier = selectors.points_multiplier_percent(buyer_id)
    points = calculation.purchase_points(kept_amount=kept, rate=rate, multiplier_percent=multiplier)
    if points <= 0:
        return None
    with transaction.atomic():
        services.lock_balance(buyer_id)
        existing = PointsOrderEarning.objects.filter(order_number=order_number).first()
        if existing is not None:
            return existing
        entry = services.points_earn(
            user_id=buyer_id,
            amount=points,
            reason=selectors.REASON_ORDER,
            reference=order_number,
            idempotency_key=f"points-order:{order_number}",
        )
        return PointsOrderEarning.objects.create(
            order_number=order_number,
            user_id=buyer_id,
            entry=entry,
            kept_amount=kept,
            rate=rate,
            multiplier_percent=multiplier,
            points=points,
            created_at=clock.now(),
        )


def points_reverse_for_order(*, order_number: str, event_key: str) -> tuple[int, int]:
    """A refund after the purchase points were credited takes back the refunded share of them
    (cumulative, never more than earned). What the balance cannot cover is owed and paid by
    the next earnings. Returns (taken now, owed now)."""
    earning = PointsOrderEarning.objects.filter(order_number=order_number).first()
    if earning is None:
        return 0, 0
    money = order_selectors.order_money(order_number)
    if money is None:
        return 0, 0
    kept_now = sum(max(line.total - line.refunded_amount, 0) for line in money.lines)
    if money.paid_amount > 0 and money.refunded_amount >= money.paid_amount:
        kept_now = 0
    with transaction.atomic():
        services.lock_balance(earning.user_id)
        earning = PointsOrderEarning.objects.select_for_update().get(pk=earning.pk)
        target = calculation.reversed_for_refund(
            earned=earning.points, kept_at_earning=earning.kept_amount, kept_now=kept_now
        )
        due = target - earning.reversed
        if due <= 0:
            return 0, 0
        PointsOrderEarning.objects.filter(pk=earning.pk).update(reversed=F("reversed") + due)
        taken, owed = services.take_back_locked(
            user_id=earning.user_id,
            amount=due,
            reason=selectors.REASON_ORDER_REFUNDED,
            reference=order_number,
            idempotency_key=f"points-reverse:{order_number}:{event_key}",
        )
    if owed:
        logger.info(
            "points owed after a refund",
            extra={"order": order_number, "user_id": earning.user_id, "owed": owed},
        )
    return taken, owed
