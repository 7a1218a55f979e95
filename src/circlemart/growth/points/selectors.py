"""Reads of the points ledger: a user's balance, pending points and history (their own only),
the earn rules other mechanisms pay by, and what checkout may use."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min, Sum
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.pagination import paginate
from circlemart.growth.levels import selectors as levels_selectors
from circlemart.growth.points import calculation
from circlemart.growth.points.contracts import (
    CheckoutPoints,
    EarnRuleCode,
    EntryKind,
    PointsBalanceView,
    PointsEntryView,
    PointsSummaryView,
)
from circlemart.growth.points.models import (
    PointsBalance,
    PointsDebt,
    PointsEarnRule,
    PointsEntry,
    PointsLot,
)
from circlemart.orders import selectors as order_selectors
from circlemart.pricing.contracts import Quote

logger = logging.getLogger(__name__)

INCOMING = frozenset({EntryKind.EARN, EntryKind.RETURN})
CHECKOUT_RULE = "growth.points"  # the pricing rule's code
ADJUSTMENT_PREFIX = "points:"  # an adjustment's rule: "points:<points used>"

# Reasons the ledger writes about an order (the entry's reference is the order number).
REASON_ORDER = "order"  # purchase points, once the after-sales window closed
REASON_CHECKOUT = "checkout"
REASON_ORDER_CANCELLED = "order_cancelled"
REASON_ORDER_REFUNDED = "order_refunded"
ORDER_REASONS = frozenset(
    {REASON_ORDER, REASON_CHECKOUT, REASON_ORDER_CANCELLED, REASON_ORDER_REFUNDED}
)

# Defaults of the earn rules, created on first read; operators change them in the back office.
# (code, points, daily cap — 0: none)
DEFAULT_EARN_RULES: tuple[tuple[EarnRuleCode, int, int], ...] = (
    (EarnRuleCode.ORDER_PAID_PER_YUAN, 1, 0),
    (EarnRuleCode.REVIEW_WITH_PHOTOS, 20, 60),
    (EarnRuleCode.CHECKIN, 5, 0),
    (EarnRuleCode.TASK, 10, 200),
    (EarnRuleCode.INVITE, 100, 1000),
    (EarnRuleCode.CAMPAIGN, 50, 0),
)


@dataclass(frozen=True)
class EarnRuleTerms:
    code: str
    points: int  # 0 when the rule is off
    daily_cap: int  # 0: no cap


@dataclass(frozen=True)
class PointsHistoryPage:
    items: list[PointsEntryView]
    next_cursor: str | None


def earn_rules_ensure() -> None:
    """Create the default earn rules that are missing (a fresh database, a new code). Safe to
    run concurrently: a rule another process created first is kept as it is."""
    PointsEarnRule.objects.bulk_create(
        [
            PointsEarnRule(code=code.value, points=points, daily_cap=cap)
            for code, points, cap in DEFAULT_EARN_RULES
        ],
        ignore_conflicts=True,
    )


def earn_rule(code: str) -> EarnRuleTerms:
    """The rule for `code` (see EarnRuleCode) as it stands; an unknown code earns nothing."""
    if code not in EarnRuleCode.__members__.values():
        return EarnRuleTerms(code=code, points=0, daily_cap=0)
    row = PointsEarnRule.objects.filter(code=code).first()
    if row is None:
        earn_rules_ensure()
        row = PointsEarnRule.objects.get(code=code)
    return EarnRuleTerms(
        code=code, points=row.points if row.is_active else 0, daily_cap=row.daily_cap
    )


def points_for(code: str) -> int:
    """Points one earning under `code` pays now (for order_paid_per_yuan: per yuan); 0 when
    the rule is off. Other mechanisms size their points rewards with this."""
    return earn_rule(code).points


def points_multiplier_percent(user_id: int) -> int:
    """The user's level multiplier for purchase points, in percent (100 = ×1): levels own it."""
    return levels_selectors.points_multiplier_percent(user_id)


def points_balance(user_id: int) -> int:
    row = PointsBalance.objects.filter(user_id=user_id).values_list("balance", flat=True).first()
    return int(row or 0)


def points_spendable(user_id: int, *, now: datetime | None = None) -> int:
    """What the user can spend now: the balance less lots already past their expiry that the
    expiry run has not swept yet."""
    total = (
        PointsLot.objects.filter(user_id=user_id, remaining__gt=0)
        .exclude(expires_at__lte=now or clock.now())
        .aggregate(total=Sum("remaining"))["total"]
    )
    return int(total or 0)


def points_owed(user_id: int) -> int:
    row = PointsDebt.objects.filter(user_id=user_id).values_list("owed", flat=True).first()
    return int(row or 0)


def _expiring(user_id: int, now: datetime) -> tuple[int, datetime | None]:
    soon = now + timedelta(days=settings.POINTS_EXPIRY_WARNING_DAYS)
    live = PointsLot.objects.filter(user_id=user_id, remaining__gt=0, expires_at__gt=now)
    expiring = live.filter(expires_at__lte=soon).aggregate(total=Sum("remaining"))["total"]
    next_expiry = live.aggregate(first=Min("expires_at"))["first"]
    return int(expiring or 0), next_expiry


def points_balance_view(user_id: int) -> PointsBalanceView:
    expiring, next_expiry = _expiring(user_id, clock.now())
    return PointsBalanceView(
        user_id=user_id,
        balance=points_balance(user_id),
        expiring_soon=expiring,
        next_expiry=next_expiry,
    )


def points_pending(user_id: int) -> tuple[int, int]:
    """(points, orders): purchase points the user's paid orders will earn once their
    after-sales windows close, at today's rate and level, on what they still keep."""
    orders = order_selectors.orders_awaiting_after_sales_close(buyer_id=user_id)
    if not orders:
        return 0, 0
    rate = points_for(EarnRuleCode.ORDER_PAID_PER_YUAN)
    multiplier = points_multiplier_percent(user_id)
    total = 0
    for order in orders:
        kept = sum(max(line.total - line.refunded_amount, 0) for line in order.lines)
        total += calculation.purchase_points(
            kept_amount=kept, rate=rate, multiplier_percent=multiplier
        )
    return total, len(orders)


def points_summary(user_id: int) -> PointsSummaryView:
    """The signed-in user's own points: balance, pending, expiring soon, owed."""
    expiring, next_expiry = _expiring(user_id, clock.now())
    pending, pending_orders = points_pending(user_id)
    return PointsSummaryView(
        balance=points_balance(user_id),
        pending=pending,
        pending_orders=pending_orders,
        expiring_soon=expiring,
        next_expiry=next_expiry,
        owed=points_owed(user_id),
    )


def reason_label(kind: str, reason: str) -> str:
    """What the history says an entry was for."""
    labels = {
        REASON_ORDER: _("Order points"),
        REASON_CHECKOUT: _("Used at checkout"),
        REASON_ORDER_CANCELLED: _("Returned: order cancelled"),
        "owed": _("Owed from a refund"),
        "expired": _("Expired"),
        "redeem": _("Points mall"),
        EarnRuleCode.REVIEW_WITH_PHOTOS: _("Review with photos"),
        EarnRuleCode.CHECKIN: _("Daily check-in"),
        EarnRuleCode.TASK: _("Task reward"),
        EarnRuleCode.INVITE: _("Invite reward"),
        EarnRuleCode.CAMPAIGN: _("Campaign reward"),
        # What the other growth mechanisms pay (growth.rewards.reward_grant reasons).
        "checkin_streak": _("Daily check-in"),
        "streak": _("Check-in streak reward"),
        "task": _("Task reward"),
        "game_prize": _("Game prize"),
        "game_chance": _("Extra game chance"),
        "mall_redeem": _("Points mall"),
        "mall_cancelled": _("Returned: redemption cancelled"),
        "level_birthday": _("Birthday gift"),
    }
    if reason == REASON_ORDER_REFUNDED:
        return (
            _("Returned: order refunded")
            if kind == EntryKind.RETURN
            else _("Taken back: order refunded")
        )
    if reason in labels:
        return str(labels[reason])
    if reason.startswith("invite"):
        return _("Invite reward")
    by_kind = {
        EntryKind.EARN: _("Earned"),
        EntryKind.SPEND: _("Spent"),
        EntryKind.RETURN: _("Returned"),
        EntryKind.EXPIRE: _("Expired"),
        EntryKind.REVERSE: _("Taken back"),
    }
    return (
        str(by_kind.get(EntryKind(kind), reason))
        if kind in EntryKind.__members__.values()
        else reason
    )


def _entry_view(entry: PointsEntry, expiries: dict[int, datetime | None]) -> PointsEntryView:
    kind = EntryKind(entry.kind)
    return PointsEntryView(
        id=entry.pk,
        kind=kind,
        reason=entry.reason,
        reference=entry.reference,
        amount=entry.amount if kind in INCOMING else -entry.amount,
        created_at=entry.created_at,
        expires_at=expiries.get(entry.pk),
        label=reason_label(entry.kind, entry.reason),
        order_number=entry.reference if entry.reason in ORDER_REASONS else "",
    )


def points_history(*, user_id: int, cursor: str | None, limit: int) -> PointsHistoryPage:
    """The user's own entries, newest first (two queries: entries, their lots' expiry)."""
    page = paginate(
        PointsEntry.objects.filter(user_id=user_id),
        ordering=("-created_at", "-id"),
        cursor=cursor,
        limit=limit,
    )
    earned = [entry.pk for entry in page.items if entry.kind == EntryKind.EARN]
    expiries: dict[int, datetime | None] = (
        dict(PointsLot.objects.filter(entry_id__in=earned).values_list("entry_id", "expires_at"))
        if earned
        else {}
    )
    return PointsHistoryPage(
        items=[_entry_view(entry, expiries) for entry in page.items],
        next_cursor=page.next_cursor,
    )


def used_in_quote(quote: Quote) -> tuple[int, int]:
    """(points, amount) the quote's points adjustment used; (0, 0) when none."""
    for adjustment in quote.adjustments:
        if adjustment.rule.startswith(ADJUSTMENT_PREFIX):
            return int(adjustment.rule.removeprefix(ADJUSTMENT_PREFIX)), adjustment.amount
    return 0, 0


def checkout_points(*, buyer_id: int, quote: Quote | None) -> CheckoutPoints:
    """What the checkout page offers, from the quote it shows: the points stage runs last in
    the order stage, so the goods it saw are the quote's line totals plus what it took."""
    balance = points_spendable(buyer_id)
    if quote is None:
        return CheckoutPoints(
            balance=balance, max_points=0, max_amount=0, used_points=0, used_amount=0
        )
    used_points, used_amount = used_in_quote(quote)
    goods = sum(line.total for line in quote.lines) + used_amount
    most = calculation.usable_at_checkout(
        requested=balance,
        spendable=balance,
        goods=goods,
        points_per_yuan=settings.POINTS_PER_YUAN,
        max_percent=settings.POINTS_MAX_PERCENT_PER_ORDER,
    )
    return CheckoutPoints(
        balance=balance,
        max_points=most.points,
        max_amount=most.amount,
        used_points=used_points,
        used_amount=used_amount,
    )
