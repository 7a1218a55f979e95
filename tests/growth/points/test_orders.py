"""Points and orders: spending at checkout (the pricing rule and its commit hook), giving back
on cancel and refund, earning once the after-sales window closes, taking back on a later
refund (owing what the balance lacks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction

from circlemart.core import clock
from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.growth.points import selectors
from circlemart.growth.points.contracts import EarnRuleCode, EntryKind
from circlemart.growth.points.models import (
    PointsEarnRule,
    PointsEntry,
    PointsLot,
    PointsOrderEarning,
)
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders import aftersales
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from circlemart.pricing.contracts import QuoteItem
from tests.growth.points.conftest import assert_ledger, give
from tests.orders.conftest import make_buyer, make_sku, place
from tests.orders.test_aftersales import make_staff

pytestmark = pytest.mark.django_db
Pay = Callable[..., Order]
Act = Callable[..., Any]


def quote(buyer_id: int, address_id: int, sku_id: int, points: Any, quantity: int = 1) -> Any:
    return order_services.checkout_quote(
        buyer_id=buyer_id,
        data=order_services.CheckoutInput(
            items=[QuoteItem(sku_id=sku_id, quantity=quantity)],
            address_id=address_id,
            options={"points": points},
        ),
    )


def points_adjustments(adjustments: list[Any]) -> list[tuple[str, str, int]]:
    rows = [a if isinstance(a, dict) else a.__dict__ for a in adjustments]
    return [(r["rule"], str(r["label"]), r["amount"]) for r in rows if r["rule"] != "shipping"]


def test_the_quote_uses_the_points_asked_for_and_explains_them() -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000)
    give(buyer.pk, 3000, "k")
    plain = quote(buyer.pk, address, sku, 0)
    used = quote(buyer.pk, address, sku, 1200)
    assert points_adjustments(used.adjustments) == [("points:1200", "Points: 1,200 used", 1200)]
    assert used.total == plain.total - 1200
    assert used.lines[0].total == 5000 - 1200
    assert selectors.points_balance(buyer.pk) == 3000  # a quote spends nothing


@pytest.mark.parametrize(
    ("asked", "balance", "used"),
    [
        (99_999, 3000, 2500),  # the cap: 50 % of ¥50.00
        (99_999, 700, 700),  # the balance
        (10**15, 700, 700),  # absurd numbers are only asked, never used
        ("800", 3000, 800),  # a form's digit string
    ],
)
def test_the_server_decides_how_many_points_are_used(asked: Any, balance: int, used: int) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000)
    give(buyer.pk, balance, "k")
    priced = quote(buyer.pk, address, sku, asked)
    assert points_adjustments(priced.adjustments)[0][2] == used


@pytest.mark.parametrize("asked", [-1, 1.5, True, "ten", [100], {"n": 1}, "-5"])
def test_tampered_points_are_refused_naming_the_field(asked: Any) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000)
    give(buyer.pk, 3000, "k")
    with pytest.raises(ValidationFailed) as refused:
        quote(buyer.pk, address, sku, asked)
    assert (refused.value.code, refused.value.field) == ("invalid_points", "points")


def test_placing_the_order_spends_the_points_and_the_order_keeps_the_adjustment() -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000)
    give(buyer.pk, 3000, "k")
    order = place(buyer, address, sku, options={"points": 1200})
    assert points_adjustments(order.adjustments) == [("points:1200", "Points: 1,200 used", 1200)]
    assert order.total == 5000 - 1200 + 800  # shipping is not paid with points
    spend = PointsEntry.objects.get(kind=EntryKind.SPEND)
    assert (spend.amount, spend.reason, spend.reference) == (1200, "checkout", order.number)
    assert selectors.points_balance(buyer.pk) == 1800
    assert_ledger()


def test_a_balance_short_at_commit_refuses_the_order_and_writes_nothing(monkeypatch) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000, stock=3)
    give(buyer.pk, 500, "k")
    # The quote saw more points than the ledger holds when the order is written (a parallel
    # spend in between): the commit hook's spend is refused and the whole order rolls back.
    monkeypatch.setattr(selectors, "points_spendable", lambda user_id, now=None: 2000)
    with pytest.raises(Conflict) as refused:
        place(buyer, address, sku, options={"points": 2000})
    assert (refused.value.code, refused.value.field) == ("insufficient_points", "points")
    assert not Order.objects.exists()
    assert inventory_selectors.stock_of(sku) == (3, 0)
    assert list(PointsEntry.objects.values_list("kind", flat=True)) == ["earn"]
    assert selectors.points_balance(buyer.pk) == 500


def test_a_cancelled_order_gives_every_point_back_to_the_same_lots(act: Act) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000)
    first = give(buyer.pk, 300, "a")
    second = give(buyer.pk, 2000, "b")
    order = place(buyer, address, sku, options={"points": 1000})
    assert PointsLot.objects.get(entry=first).remaining == 0
    act(order_services.order_cancel, actor_id=buyer.pk, number=order.number)
    assert selectors.points_balance(buyer.pk) == 2300
    assert PointsLot.objects.get(entry=first).remaining == 300
    assert PointsLot.objects.get(entry=second).remaining == 2000
    back = PointsEntry.objects.get(kind=EntryKind.RETURN)
    assert (back.amount, back.reason, back.reference) == (1000, "order_cancelled", order.number)
    assert_ledger()


def _paid_with_points(pay: Pay, points: int, *, ship: bool = True) -> tuple[Any, Any, Order]:
    """A paid order of 2 × ¥50.00 (shipping ¥8.00) by a buyer holding 10,000 points."""
    buyer, address = make_buyer()
    staff = make_staff()
    sku = make_sku(price=5000, stock=5)
    give(buyer.pk, 10_000, "k")
    order = pay(place(buyer, address, sku, quantity=2, options={"points": points}))
    if ship:
        order_services.order_ship(
            staff_id=staff.pk, number=order.number, carrier="SF", tracking_number="SF1"
        )
    return buyer, staff, order


def _refund(act: Act, buyer: Any, staff: Any, order: Order, amount: int) -> None:
    request = aftersales.aftersales_request(
        buyer_id=buyer.pk,
        number=order.number,
        kind="refund_only",
        reason="damaged",
        lines={order.lines.get().pk: 1},
        amount=amount,
    )
    act(aftersales.aftersales_approve, staff_id=staff.pk, request_id=request.pk)


def test_refunds_give_back_their_share_cumulatively_and_everything_at_the_end(
    pay: Pay, act: Act
) -> None:
    buyer, staff, order = _paid_with_points(pay, 3000, ship=False)
    assert (order.total, order.paid_amount) == (10000 - 3000 + 800, 7800)
    _refund(act, buyer, staff, order, 2600)  # a third of what was paid
    assert selectors.points_balance(buyer.pk) == 7000 + 1000
    _refund(act, buyer, staff, order, 2000)  # 4,600 of 7,800 in all: 1,769 points
    assert selectors.points_balance(buyer.pk) == 7000 + 1769
    act(order_services.order_refund_in_full, number=order.number, reason="test", key="all")
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("refunded", 7800)
    assert selectors.points_balance(buyer.pk) == 10_000
    returns = PointsEntry.objects.filter(kind=EntryKind.RETURN).order_by("id")
    assert [(e.amount, e.reason) for e in returns] == [
        (1000, "order_refunded"),
        (769, "order_refunded"),
        (1231, "order_refunded"),
    ]
    assert_ledger()


def _complete_and_close(order: Order, buyer: Any, act: Act, *, days: int | None = None) -> None:
    order_services.order_confirm_delivery(buyer_id=buyer.pk, number=order.number)
    order_services.order_complete(buyer_id=buyer.pk, number=order.number)
    window = settings.AFTER_SALES_WINDOW_DAYS
    Order.objects.filter(pk=order.pk).update(
        completed_at=clock.now() - timedelta(days=days or window + 1)
    )
    act(order_services.orders_close_after_sales)


def test_purchase_points_are_pending_until_the_window_closes_then_earned_once(
    pay: Pay, act: Act
) -> None:
    PointsEarnRule.objects.create(code=EarnRuleCode.ORDER_PAID_PER_YUAN, points=2)
    buyer, _staff, order = _paid_with_points(pay, 2000)
    # kept goods: 2 × 50.00 − 20.00 of points = 80.00 → 160 points at 2 per yuan
    assert selectors.points_pending(buyer.pk) == (160, 1)
    _complete_and_close(order, buyer, act)
    assert selectors.points_pending(buyer.pk) == (0, 0)
    earned = PointsEntry.objects.get(kind=EntryKind.EARN, reason="order")
    assert (earned.amount, earned.reference) == (160, order.number)
    assert selectors.points_balance(buyer.pk) == 8000 + 160
    act(order_services.orders_close_after_sales)  # nothing more
    assert PointsOrderEarning.objects.get().points == 160
    assert_ledger()


def test_a_refund_before_the_window_closes_lowers_the_purchase_points(pay: Pay, act: Act) -> None:
    PointsEarnRule.objects.create(code=EarnRuleCode.ORDER_PAID_PER_YUAN, points=1)
    buyer, staff, order = _paid_with_points(pay, 0)
    _refund(act, buyer, staff, order, 4000)
    _complete_and_close(order, buyer, act)
    assert PointsOrderEarning.objects.get().points == 60  # 100.00 − 40.00 kept


def _staff_refund(act: Act, order: Order, amount: int) -> None:
    """Money sent back outside the after-sales window (a staff decision)."""
    line = order.lines.get()

    def refund() -> None:
        with transaction.atomic():
            order_services.order_refund_applied(
                number=order.number, amount=amount, line_refunds={line.pk: (1, amount)}
            )

    act(refund)


def test_a_refund_after_earning_takes_back_its_share_and_owes_what_is_missing(
    pay: Pay, act: Act
) -> None:
    PointsEarnRule.objects.create(code=EarnRuleCode.ORDER_PAID_PER_YUAN, points=10)
    buyer, _staff, order = _paid_with_points(pay, 0)
    _complete_and_close(order, buyer, act)
    assert PointsOrderEarning.objects.get().points == 1000  # ¥100.00 × 10
    balance = selectors.points_balance(buyer.pk)
    assert balance == 11_000
    _staff_refund(act, order, 2500)  # a quarter of the goods
    assert selectors.points_balance(buyer.pk) == 11_000 - 250
    # the buyer spends nearly everything, then the rest of the order is refunded
    from circlemart.growth.points import services

    services.points_spend(user_id=buyer.pk, amount=10_700, reason="redeem", idempotency_key="r")
    _staff_refund(act, order, 7500)
    assert selectors.points_balance(buyer.pk) == 0
    assert selectors.points_owed(buyer.pk) == 750 - 50
    assert PointsOrderEarning.objects.get().reversed == 1000
    give(buyer.pk, 1000, "later")
    assert selectors.points_balance(buyer.pk) == 300
    assert selectors.points_owed(buyer.pk) == 0
    taken = PointsEntry.objects.filter(kind=EntryKind.REVERSE).order_by("id")
    assert [(e.amount, e.reason) for e in taken] == [
        (250, "order_refunded"),
        (50, "order_refunded"),
        (700, "owed"),
    ]
    assert_ledger()
