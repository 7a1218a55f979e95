"""The arithmetic of points, pure and in integers: what a checkout may use, what a purchase
earns, and how much of a spend or an earning a refund gives or takes back. Every division
rounds down, and nothing ever goes past what was spent or earned."""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

MINOR_PER_YUAN = 100  # CNY: fen per yuan


@dataclass(frozen=True)
class Usable:
    points: int
    amount: int  # minor units taken off


def usable_at_checkout(
    *, requested: int, spendable: int, goods: int, points_per_yuan: int, max_percent: int
) -> Usable:
    """The points an order may use and what they take off, the least of: what the shopper asks,
    what they can spend, `max_percent` of the goods after coupons, and all but one minor unit
    of the goods (an order of zero cannot be paid). Whole cents only: with 100 points per
    yuan a point is a cent; with 150, points go in steps of 3 (= 2 cents)."""
    if requested <= 0 or spendable <= 0 or goods <= 1 or points_per_yuan <= 0:
        return Usable(0, 0)
    percent = min(max(max_percent, 0), 100)
    step = gcd(points_per_yuan, MINOR_PER_YUAN)
    step_points = points_per_yuan // step  # this many points …
    step_amount = MINOR_PER_YUAN // step  # … pay exactly this many minor units
    affordable_steps = min(requested, spendable) // step_points
    cap_amount = min(goods * percent // 100, goods - 1)
    steps = min(affordable_steps, cap_amount // step_amount)
    return Usable(points=steps * step_points, amount=steps * step_amount)


def purchase_points(*, kept_amount: int, rate: int, multiplier_percent: int) -> int:
    """Points for `kept_amount` minor units at `rate` points per yuan, times the level's
    multiplier (100 = ×1), rounded down."""
    if kept_amount <= 0 or rate <= 0 or multiplier_percent <= 0:
        return 0
    return kept_amount * rate * multiplier_percent // (MINOR_PER_YUAN * 100)


def returned_for_refund(*, spent: int, refunded: int, paid: int, fully: bool) -> int:
    """How many of `spent` points a refund of `refunded` out of `paid` gives back in all
    (cumulative): in proportion, rounded down; everything once the order is fully refunded."""
    if fully or paid <= 0 or refunded >= paid:
        return spent
    return spent * max(refunded, 0) // paid


def reversed_for_refund(*, earned: int, kept_at_earning: int, kept_now: int) -> int:
    """How many of `earned` purchase points a refund takes back in all (cumulative): the
    refunded share of what was kept when they were earned, rounded down; all of them once
    nothing is kept."""
    if kept_at_earning <= 0 or kept_now <= 0:
        return earned
    refunded = kept_at_earning - min(kept_now, kept_at_earning)
    return earned * refunded // kept_at_earning
