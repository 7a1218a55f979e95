"""Commission on orders through a distributor's link: frozen when paid on each line's paid
amount (after discounts, without shipping), two tiers and never a third, nothing for orders
never paid, reversed in proportion on refunds (also after settlement: carried, netted),
settled exactly once after the after-sales window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from circlemart.core import clock
from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.growth.distribution import selectors, services
from circlemart.growth.distribution.models import (
    Commission,
    CommissionEntry,
    CommissionOrder,
    CommissionRate,
    Distributor,
)
from circlemart.growth.points import services as points_services
from circlemart.notifications.models import Notification
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories
from tests.growth.distribution.conftest import (
    assert_ledger,
    bind,
    level,
    make_distributor,
    set_rate,
)
from tests.orders.conftest import make_buyer, make_sku, place
from tests.orders.test_aftersales import make_staff

pytestmark = pytest.mark.django_db
Pay = Callable[..., Order]
Act = Callable[..., Any]


@pytest.fixture(autouse=True)
def _rates() -> None:
    set_rate(1, 1000)  # 10 % to the buyer's distributor
    set_rate(2, 300)  # 3 % to the one who recruited them


def buy(
    pay: Pay, distributor: Distributor | None, *, price: int = 5000, quantity: int = 1
) -> Order:
    buyer, address = make_buyer()
    if distributor is not None:
        bind(buyer, distributor)
    sku = make_sku(price=price, stock=5)
    return pay(place(buyer, address, sku, quantity=quantity))


def figures(distributor: Distributor) -> tuple[int, int, int, int]:
    balance = selectors.balance_of(distributor.pk)
    return balance.frozen, balance.settled, balance.withdrawing, balance.withdrawn


def complete_and_close(act: Act, order: Order) -> None:
    staff = make_staff()
    order_services.order_ship(
        staff_id=staff.pk, number=order.number, carrier="SF", tracking_number="1"
    )
    order_services.order_confirm_delivery(buyer_id=order.buyer_id, number=order.number)
    order_services.order_complete(buyer_id=order.buyer_id, number=order.number)
    Order.objects.filter(pk=order.pk).update(
        completed_at=clock.now() - timedelta(days=settings.AFTER_SALES_WINDOW_DAYS + 1)
    )
    act(order_services.orders_close_after_sales)


def staff_refund(act: Act, order: Order, amount: int) -> None:
    line = order.lines.get()

    def refund() -> None:
        with transaction.atomic():
            order_services.order_refund_applied(
                number=order.number, amount=amount, line_refunds={line.pk: (1, amount)}
            )

    act(refund)


def test_commission_is_frozen_on_the_paid_goods_without_shipping(pay: Pay) -> None:
    top = make_distributor()
    seller = make_distributor(upline=top)
    order = buy(pay, seller)
    assert (order.status, order.total, order.shipping_fee) == ("paid", 5800, 800)
    rows = list(
        Commission.objects.order_by("tier").values_list(
            "distributor_id", "tier", "base_amount", "rate_bp", "amount", "status"
        )
    )
    assert rows == [
        (seller.pk, 1, 5000, 1000, 500, "frozen"),
        (top.pk, 2, 5000, 300, 150, "frozen"),
    ]
    assert figures(seller) == (500, 0, 0, 0)
    assert figures(top) == (150, 0, 0, 0)
    assert CommissionEntry.objects.filter(kind="freeze").count() == 2
    assert_ledger()


def test_commission_is_on_the_amount_paid_after_discounts(pay: Pay) -> None:
    seller = make_distributor()
    buyer, address = make_buyer()
    bind(buyer, seller)
    points_services.points_earn(
        user_id=buyer.pk, amount=1000, reason="campaign", idempotency_key="p"
    )
    sku = make_sku(price=5000, stock=5)
    order = pay(place(buyer, address, sku, options={"points": 1000}))  # ¥10 off
    line = order.lines.get()
    assert line.total == 4000
    commission = Commission.objects.get()
    assert (commission.base_amount, commission.amount) == (4000, 400)


def test_a_buyer_not_bound_to_anyone_earns_nobody_commission(pay: Pay) -> None:
    make_distributor()
    buy(pay, None)
    assert not CommissionOrder.objects.exists()
    assert not Commission.objects.exists()


def test_a_chain_of_three_pays_two_tiers_and_never_the_third(pay: Pay) -> None:
    top = make_distributor()
    middle = make_distributor(upline=top)
    seller = make_distributor(upline=middle)
    # Whatever is configured, on every scope and level, tier 3 cannot even be stored.
    gold = level(9, "Gold")
    Distributor.objects.filter(pk__in=[top.pk, middle.pk, seller.pk]).update(level=gold)
    product = catalog_factories.product(prices=(5000,), stock=(5,))
    for scope, target_id in (("product", product.pk), ("category", product.category_id)):
        set_rate(1, 2000, scope=scope, target_id=target_id, level=gold)
        set_rate(2, 1000, scope=scope, target_id=target_id, level=gold)
        for tier in (0, 3, 4):
            with pytest.raises(ValidationFailed) as refused:
                services.commission_rate_set(
                    operator_id=top.reviewed_by_id,
                    scope=scope,
                    target_id=target_id,
                    tier=tier,
                    rate_bp=100,
                )
            assert (refused.value.code, refused.value.field) == ("tier_not_allowed", "tier")
            with pytest.raises(IntegrityError), transaction.atomic():
                CommissionRate.objects.create(
                    scope=scope, target_id=target_id, tier=tier, rate_bp=100
                )
    buyer, address = make_buyer()
    bind(buyer, seller)
    pay(place(buyer, address, product.skus.get().pk))
    paid = dict(Commission.objects.values_list("distributor_id", "amount"))
    assert paid == {seller.pk: 1000, middle.pk: 500}
    assert figures(top) == (0, 0, 0, 0)
    assert set(Commission.objects.values_list("tier", flat=True)) == {1, 2}


def test_an_order_cancelled_before_payment_earns_nothing(act: Act, drain) -> None:
    seller = make_distributor(upline=make_distributor())
    buyer, address = make_buyer()
    bind(buyer, seller)
    order = place(buyer, address, make_sku(price=5000, stock=5))
    act(order_services.order_cancel, actor_id=buyer.pk, number=order.number)
    drain()
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert CommissionOrder.objects.filter(order_number=order.number).exists()
    assert not Commission.objects.exists()
    assert not CommissionEntry.objects.exists()
    # Even if the paid event were delivered late, a cancelled order earns nothing.
    assert services.commissions_freeze(order_number=order.number) == 0


def test_a_full_refund_reverses_the_commission_exactly(pay: Pay, act: Act) -> None:
    top = make_distributor()
    seller = make_distributor(upline=top)
    order = buy(pay, seller, price=3333)
    act(order_services.order_refund_in_full, number=order.number, reason="test", key="all")
    order.refresh_from_db()
    assert order.status == "refunded"
    assert list(Commission.objects.order_by("tier").values_list("amount", "reversed_amount")) == [
        (333, 333),
        (99, 99),
    ]
    assert figures(seller) == (0, 0, 0, 0)
    assert figures(top) == (0, 0, 0, 0)
    assert_ledger()


def test_partial_refunds_take_back_their_share_cumulatively(pay: Pay, act: Act) -> None:
    seller = make_distributor()
    order = buy(pay, seller, price=4000, quantity=2)  # commission 800 on 8000
    staff_refund(act, order, 2000)  # a quarter
    assert figures(seller) == (600, 0, 0, 0)
    staff_refund(act, order, 2000)  # half in all
    assert figures(seller) == (400, 0, 0, 0)
    assert list(
        CommissionEntry.objects.filter(kind="reverse").values_list("frozen_delta", flat=True)
    ) == [
        -200,
        -200,
    ]
    # A redelivered refund event changes nothing.
    services.commissions_reverse(order_number=order.number)
    assert figures(seller) == (400, 0, 0, 0)
    assert_ledger()


def test_the_kept_part_settles_once_the_after_sales_window_closes(pay: Pay, act: Act) -> None:
    top = make_distributor()
    seller = make_distributor(upline=top)
    order = buy(pay, seller)
    staff_refund(act, order, 1000)  # a fifth refunded while the window is open
    assert services.commissions_settle_due() == 0  # not due yet
    complete_and_close(act, order)
    assert Commission.objects.filter(due_at__isnull=False).count() == 2
    assert services.commissions_settle_due() == 2
    assert services.commissions_settle_due() == 0
    assert figures(seller) == (0, 400, 0, 0)
    assert figures(top) == (0, 120, 0, 0)
    assert list(Commission.objects.order_by("tier").values_list("status", "settled_amount")) == [
        ("settled", 400),
        ("settled", 120),
    ]
    assert CommissionEntry.objects.filter(kind="settle").count() == 2
    notes = Notification.objects.filter(kind="commission_settled")
    assert sorted(notes.values_list("recipient_id", flat=True)) == sorted(
        [seller.user_id, top.user_id]
    )
    assert_ledger()


def test_a_refund_after_settlement_is_carried_and_netted_never_lost(
    pay: Pay, act: Act, settings
) -> None:
    settings.DISTRIBUTION_MIN_WITHDRAWAL = 100
    seller = make_distributor()
    first = buy(pay, seller, price=6000)  # 600
    complete_and_close(act, first)
    services.commissions_settle_due()
    services.withdrawal_request(user_id=seller.user_id, amount=600)
    assert figures(seller) == (0, 0, 600, 0)
    staff_refund(act, first, 6000)  # all of it, after the money left
    assert figures(seller) == (0, -600, 600, 0)
    with pytest.raises(Conflict):
        services.withdrawal_request(user_id=seller.user_id, amount=100)
    second = buy(pay, seller, price=9000)  # 900
    complete_and_close(act, second)
    services.commissions_settle_due()
    assert figures(seller) == (0, 300, 600, 0)
    assert_ledger()


@pytest.mark.parametrize(("allowed", "expected"), [(False, {}), (True, "self")])
def test_the_self_purchase_rule(pay: Pay, settings, allowed: bool, expected: Any) -> None:
    settings.DISTRIBUTION_SELF_PURCHASE_COMMISSION = allowed
    top = make_distributor()
    seller = make_distributor(upline=top)
    other = make_distributor()
    buyer, address = make_buyer()
    Distributor.objects.filter(pk=seller.pk).update(user=buyer)
    bind_target = other  # a distributor bound to another as a buyer
    bind(buyer, bind_target)
    pay(place(buyer, address, make_sku(price=5000, stock=5)))
    paid = dict(Commission.objects.values_list("distributor_id", "amount"))
    if expected == "self":
        assert paid == {seller.pk: 500, top.pk: 150}
        assert CommissionOrder.objects.get().is_self_purchase
    else:
        assert paid == {}


def test_rates_go_product_then_nearest_category_then_default_and_level_first(
    pay: Pay,
) -> None:
    seller = make_distributor()  # no levels yet: none
    gold = level(5, "Gold")
    parent = catalog_factories.category("服饰")
    child = catalog_factories.category("T恤", parent=parent)
    shirt = catalog_factories.product(in_category=child, prices=(10000,), stock=(5,))
    set_rate(1, 1500, scope="category", target_id=parent.pk)

    def commission_on(product_sku: int) -> int:
        buyer, address = make_buyer()
        bind(buyer, seller)
        pay(place(buyer, address, product_sku))
        return Commission.objects.filter(tier=1).latest("pk").rate_bp

    sku = shirt.skus.get().pk
    assert commission_on(sku) == 1500  # the parent category's
    set_rate(1, 1200, scope="category", target_id=child.pk)
    assert commission_on(sku) == 1200  # the nearest category's
    set_rate(1, 800, scope="product", target_id=shirt.pk)
    assert commission_on(sku) == 800  # the product's
    set_rate(1, 900, scope="product", target_id=shirt.pk, level=gold)
    assert commission_on(sku) == 800  # seller is not gold
    Distributor.objects.filter(pk=seller.pk).update(level=gold)
    assert commission_on(sku) == 900


def test_two_tiers_together_never_pay_more_than_the_line(pay: Pay) -> None:
    CommissionRate.objects.all().delete()
    set_rate(1, 9000)
    set_rate(2, 5000)
    seller = make_distributor(upline=make_distributor())
    buy(pay, seller, price=1000)
    assert list(Commission.objects.order_by("tier").values_list("rate_bp", "amount")) == [
        (9000, 900),
        (1000, 100),
    ]


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"rate_bp": -1}, "invalid_rate", "rate_bp"),
        ({"rate_bp": 10001}, "invalid_rate", "rate_bp"),
        ({"tier": 3}, "tier_not_allowed", "tier"),
        ({"scope": "brand"}, "invalid_target", "scope"),
        ({"scope": "product", "target_id": 999_999}, "invalid_target", "target_id"),
    ],
)
def test_bad_rates_are_refused_naming_the_field(operator, changes, code, field) -> None:
    before = list(CommissionRate.objects.values_list("pk", "rate_bp"))
    data = {"scope": "default", "tier": 1, "rate_bp": 500} | changes
    with pytest.raises(ValidationFailed) as refused:
        services.commission_rate_set(operator_id=operator.pk, **data)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert list(CommissionRate.objects.values_list("pk", "rate_bp")) == before


def test_only_operators_set_rates() -> None:
    from circlemart.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.commission_rate_set(
            operator_id=UserFactory().pk, scope="default", tier=1, rate_bp=1
        )
    assert CommissionRate.objects.get(tier=1).rate_bp == 1000
