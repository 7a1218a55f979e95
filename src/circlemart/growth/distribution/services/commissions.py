"""Commission on orders: who earns is fixed when the order is placed (the buyer's binding),
what they earn when it is paid (frozen), refunds take back their share (before or after
settlement), and once the after-sales window closes the kept part is settled, exactly once
per commission row, by a sweep that may be killed at any moment and run again."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.growth.distribution.contracts import (
    FULL_RATE,
    CommissionStatus,
    DistributorStatus,
    EntryKind,
)
from circlemart.growth.distribution.models import (
    Commission,
    CommissionOrder,
    DistributionBinding,
    Distributor,
)
from circlemart.growth.distribution.services.ledger import account_ensure, entry_post
from circlemart.growth.distribution.services.rates import rate_table
from circlemart.notifications import services as notifications
from circlemart.notifications.contracts import NotificationKind, TargetType
from circlemart.orders import selectors as order_selectors
from circlemart.orders.contracts import OrderStatus

logger = logging.getLogger(__name__)

# Orders in these states never earn commission (never paid, or undone before payment).
NOT_EARNING = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.CLOSED)


def _earners(*, buyer_id: int, at: datetime) -> tuple[Distributor, Distributor | None, bool] | None:
    """(tier 1, tier 2, self purchase) for an order the buyer places at `at`, or None."""
    own = (
        Distributor.objects.select_related("upline")
        .filter(user_id=buyer_id, status=DistributorStatus.APPROVED)
        .first()
    )
    if own is not None:
        # A distributor's own order: theirs to earn on only when the self-purchase rule says
        # so. It never earns the distributor they happen to be bound to as a buyer.
        if not settings.DISTRIBUTION_SELF_PURCHASE_COMMISSION:
            return None
        first, is_self = own, True
    else:
        binding = (
            DistributionBinding.objects.select_related("distributor__upline")
            .filter(buyer_id=buyer_id, bound_at__lte=at, expires_at__gt=at)
            .first()
        )
        if binding is None or binding.distributor.status != DistributorStatus.APPROVED:
            return None
        first, is_self = binding.distributor, False
    second = first.upline
    if (
        second is None
        or second.status != DistributorStatus.APPROVED
        or second.pk == first.pk
        or second.user_id == buyer_id
    ):
        second = None
    return first, second, is_self


def commission_order_record(*, order_number: str, buyer_id: int, placed_at: datetime) -> bool:
    """Fix who earns on this order (OrderPlaced). True when someone does."""
    if CommissionOrder.objects.filter(order_number=order_number).exists():
        return True
    earners = _earners(buyer_id=buyer_id, at=placed_at)
    if earners is None:
        return False
    first, second, is_self = earners
    try:
        with transaction.atomic():
            CommissionOrder.objects.create(
                order_number=order_number,
                buyer_id=buyer_id,
                distributor=first,
                upline=second,
                is_self_purchase=is_self,
                placed_at=placed_at,
            )
    except IntegrityError:  # recorded by a parallel delivery
        pass
    return True


def commissions_freeze(*, order_number: str) -> int:
    """The order was paid: record each tier's commission on each line, frozen. Never for an
    order that is not paid (or was cancelled); refunds already made are taken back at once.
    Returns how many commission rows this call wrote."""
    snapshot = (
        CommissionOrder.objects.select_related("distributor", "upline")
        .filter(order_number=order_number)
        .first()
    )
    if snapshot is None:
        return 0
    money = order_selectors.order_money(order_number)
    if money is None or money.paid_at is None or money.status in NOT_EARNING:
        return 0
    earners: list[tuple[int, Distributor]] = [(1, snapshot.distributor)]
    if snapshot.upline is not None:
        earners.append((2, snapshot.upline))
    earners = [(t, d) for t, d in earners if d.status == DistributorStatus.APPROVED]
    table = rate_table(line.product_id for line in money.lines)
    written = 0
    now = clock.now()
    with transaction.atomic():
        for line in money.lines:
            first_rate = 0
            for tier, distributor in earners:
                rate = table.rate_for(
                    product_id=line.product_id, level_id=distributor.level_id, tier=tier
                )
                if tier == 1:
                    first_rate = rate
                else:  # the two tiers together never pay out more than the line
                    rate = min(rate, FULL_RATE - first_rate)
                amount = line.total * rate // FULL_RATE
                if amount <= 0:
                    continue
                if Commission.objects.filter(line_id=line.line_id, tier=tier).exists():
                    continue
                account_ensure(distributor.pk)
                try:
                    with transaction.atomic():
                        commission = Commission.objects.create(
                            distributor=distributor,
                            order_number=order_number,
                            line_id=line.line_id,
                            product_id=line.product_id,
                            buyer_id=money.buyer_id,
                            tier=tier,
                            base_amount=line.total,
                            rate_bp=rate,
                            amount=amount,
                            currency=money.currency,
                            created_at=now,
                        )
                        entry_post(
                            distributor_id=distributor.pk,
                            kind=EntryKind.FREEZE,
                            idempotency_key=f"commission:{commission.pk}:freeze",
                            reference=order_number,
                            commission_id=commission.pk,
                            frozen=amount,
                        )
                except IntegrityError:  # a parallel delivery of the same event recorded it
                    continue
                written += 1
    if written:
        commissions_reverse(order_number=order_number)
    return written


def _reversal_due(commission: Commission, refunded: int) -> int:
    """How much of the commission refunds take back: in proportion to the line's refunded
    share, all of it on a full refund."""
    if commission.base_amount <= 0 or refunded >= commission.base_amount:
        return commission.amount
    return commission.amount * max(refunded, 0) // commission.base_amount


def _reverse_one(commission: Commission, *, refunded: int) -> int:
    due = _reversal_due(commission, refunded)
    delta = due - commission.reversed_amount
    if delta <= 0:
        return 0
    settled = commission.status == CommissionStatus.SETTLED
    entry = entry_post(
        distributor_id=commission.distributor_id,
        kind=EntryKind.REVERSE,
        idempotency_key=f"commission:{commission.pk}:reverse:{due}",
        reference=commission.order_number,
        commission_id=commission.pk,
        # After settlement the withdrawable balance takes it, and may go below zero: carried
        # and netted against later commission, never lost.
        settled=-delta if settled else 0,
        frozen=0 if settled else -delta,
    )
    if entry is None:
        return 0
    Commission.objects.filter(pk=commission.pk).update(reversed_amount=due)
    return delta


def commissions_reverse(*, order_number: str, everything: bool = False) -> int:
    """Refunds on the order (OrderRefunded), or its cancellation (`everything`): take back
    each commission's share of what was refunded on its line. Returns the amount reversed."""
    money = order_selectors.order_money(order_number)
    if money is None:
        return 0
    refunded_by_line = {line.line_id: line.refunded_amount for line in money.lines}
    total = 0
    with transaction.atomic():
        for commission in (
            Commission.objects.select_for_update().filter(order_number=order_number).order_by("pk")
        ):
            refunded = (
                commission.base_amount
                if everything
                else refunded_by_line.get(commission.line_id, 0)
            )
            total += _reverse_one(commission, refunded=refunded)
    return total


def commissions_mark_due(*, order_number: str, line_refunds: dict[int, int]) -> int:
    """The order's after-sales window closed (OrderAfterSalesClosed): take back what was
    refunded (per line, as the event says) and mark its frozen commission due for the
    settlement sweep. Returns how many rows became due."""
    now = clock.now()
    with transaction.atomic():
        for commission in (
            Commission.objects.select_for_update().filter(order_number=order_number).order_by("pk")
        ):
            refunded = line_refunds.get(commission.line_id)
            if refunded is not None:
                _reverse_one(commission, refunded=refunded)
        return Commission.objects.filter(
            order_number=order_number, status=CommissionStatus.FROZEN, due_at__isnull=True
        ).update(due_at=now)


def commission_settle(*, commission_id: int) -> bool:
    """Settle one due commission: its kept part (amount − reversed) moves from frozen to
    withdrawable. Exactly once: the row is locked and its status checked under the lock,
    and the ledger entry's key is unique. True when this call settled it."""
    with transaction.atomic():
        commission = (
            Commission.objects.select_for_update()
            .filter(pk=commission_id, status=CommissionStatus.FROZEN, due_at__isnull=False)
            .first()
        )
        if commission is None:
            return False
        kept = commission.amount - commission.reversed_amount
        if kept > 0:
            entry = entry_post(
                distributor_id=commission.distributor_id,
                kind=EntryKind.SETTLE,
                idempotency_key=f"commission:{commission.pk}:settle",
                reference=commission.order_number,
                commission_id=commission.pk,
                frozen=-kept,
                settled=kept,
            )
            if entry is None:  # the row said frozen but the ledger has its settlement
                logger.error("commission %s already settled in the ledger", commission.pk)
        now = clock.now()
        Commission.objects.filter(pk=commission.pk).update(
            status=CommissionStatus.SETTLED,
            settled_amount=F("amount") - F("reversed_amount"),
            settled_at=now,
        )
        if kept > 0:
            user_id = Distributor.objects.values_list("user_id", flat=True).get(
                pk=commission.distributor_id
            )
            notifications.notification_record(
                recipient_id=user_id,
                kind=NotificationKind.COMMISSION_SETTLED,
                target_type=TargetType.GROWTH,
                target_id=commission.pk,
                actor_id=user_id,
                about_self=True,
                excerpt=_("Commission on order %(order)s is now withdrawable.")
                % {"order": commission.order_number},
            )
    return True


def commissions_settle_due(*, limit: int = 1000) -> int:
    """The settlement sweep (celery beat): settle due commissions, one row per transaction,
    so a worker killed half-way leaves every row either settled or untouched."""
    ids = list(
        Commission.objects.filter(status=CommissionStatus.FROZEN, due_at__lte=clock.now())
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for commission_id in ids if commission_settle(commission_id=commission_id))
