"""The arithmetic of points: checkout caps and steps, purchase points, refund shares."""

from __future__ import annotations

import pytest

from circlemart.growth.points.calculation import (
    Usable,
    purchase_points,
    returned_for_refund,
    reversed_for_refund,
    usable_at_checkout,
)


def usable(requested: int, spendable: int, goods: int, rate: int = 100, percent: int = 50):
    return usable_at_checkout(
        requested=requested,
        spendable=spendable,
        goods=goods,
        points_per_yuan=rate,
        max_percent=percent,
    )


def test_checkout_uses_the_least_of_request_balance_and_cap() -> None:
    assert usable(1200, 5000, 10000) == Usable(points=1200, amount=1200)
    assert usable(9000, 800, 10000) == Usable(points=800, amount=800)  # the balance
    assert usable(9000, 9000, 10000) == Usable(points=5000, amount=5000)  # 50 % of goods
    assert usable(20000, 20000, 10000, percent=100) == Usable(points=9999, amount=9999)
    assert usable(9000, 9000, 1) == Usable(0, 0)  # nothing payable to take off


def test_checkout_rounds_down_to_whole_cents_at_any_rate() -> None:
    # 150 points = ¥1: 3 points pay 2 fen exactly; 10 points buy 6 fen (9 points), not 6.67.
    assert usable(10, 10, 10000, rate=150) == Usable(points=9, amount=6)
    # 1000 points = ¥1: 10 points pay 1 fen; 1,234 points pay 123 fen with 1,230.
    assert usable(1234, 5000, 10000, rate=1000) == Usable(points=1230, amount=123)
    # 1 point = ¥1: a point is 100 fen; a cap of 150 fen allows one point.
    assert usable(5, 5, 300, rate=1) == Usable(points=1, amount=100)


@pytest.mark.parametrize(
    ("requested", "spendable", "rate", "percent"),
    [(0, 100, 100, 50), (100, 0, 100, 50), (100, 100, 0, 50), (100, 100, 100, 0)],
)
def test_checkout_uses_nothing_when_any_term_is_zero(requested, spendable, rate, percent):
    assert usable(requested, spendable, 10000, rate=rate, percent=percent) == Usable(0, 0)


def test_purchase_points_round_down_with_the_multiplier() -> None:
    assert purchase_points(kept_amount=12345, rate=1, multiplier_percent=100) == 123
    assert purchase_points(kept_amount=12345, rate=2, multiplier_percent=150) == 370
    assert purchase_points(kept_amount=99, rate=1, multiplier_percent=100) == 0
    assert purchase_points(kept_amount=5000, rate=0, multiplier_percent=100) == 0


def test_refund_shares_are_cumulative_and_exact_at_the_ends() -> None:
    assert returned_for_refund(spent=1000, refunded=0, paid=9000, fully=False) == 0
    assert returned_for_refund(spent=1000, refunded=3000, paid=9000, fully=False) == 333
    assert returned_for_refund(spent=1000, refunded=9000, paid=9000, fully=False) == 1000
    assert returned_for_refund(spent=1000, refunded=10, paid=9000, fully=True) == 1000
    assert reversed_for_refund(earned=90, kept_at_earning=9000, kept_now=9000) == 0
    assert reversed_for_refund(earned=90, kept_at_earning=9000, kept_now=6000) == 30
    assert reversed_for_refund(earned=91, kept_at_earning=9000, kept_now=6000) == 30
    assert reversed_for_refund(earned=91, kept_at_earning=9000, kept_now=0) == 91
