"""Checkout and the order life cycle through the services, paid through the test gateway."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import override_settings

from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.core.models import OutboxEvent
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders import selectors, services
from circlemart.orders.models import Order, OrderTransition
from circlemart.payments import gateway
from circlemart.payments import selectors as payment_selectors
from circlemart.pricing.contracts import QuoteItem
from tests.accounts.factories import UserFactory
from tests.orders.conftest import make_buyer, make_sku, place

pytestmark = pytest.mark.django_db

Pay = Callable[..., Order]


def _events(number: str) -> list[str]:
    return list(
        OutboxEvent.objects.filter(aggregate_type="order", aggregate_id=number)
        .order_by("id")
        .values_list("event_type", flat=True)
    )


def test_place_prices_on_the_server_reserves_stock_and_records_everything() -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=3000, stock=5)
    order = place(buyer, address, sku, quantity=2, note="放门口")
    assert order.number.startswith("CM")
    assert len(order.number) == 14
    assert (order.status, order.subtotal, order.shipping_fee, order.total) == (
        "pending_payment",
        6000,
        800,
        6800,
    )
    assert inventory_selectors.stock_of(sku) == (5, 2)
    assert selectors.transitions_of(order.number) == [("", "pending_payment")]
    assert _events(order.number) == ["orders.OrderPlaced"]
    view = selectors.order_for_buyer(buyer_id=buyer.pk, number=order.number)
    assert view is not None
    assert view.address["recipient"] == "张三"
    assert view.note == "放门口"
    assert [(line.quantity, line.unit_price, line.total) for line in view.lines] == [
        (2, 3000, 6000)
    ]


def test_address_is_encrypted_at_rest() -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM orders_order WHERE id = %s", [order.pk])
        (raw,) = cursor.fetchone()
    assert "张三" not in raw
    assert "人民路" not in raw


def test_same_idempotency_key_gives_the_same_order() -> None:
    buyer, address = make_buyer()
    sku = make_sku(stock=5)
    first = place(buyer, address, sku, idempotency_key="checkout-1")
    second = place(buyer, address, sku, idempotency_key="checkout-1")
    assert first.pk == second.pk
    assert Order.objects.count() == 1
    assert inventory_selectors.stock_of(sku) == (5, 1)


def test_someone_elses_address_is_not_found_and_nothing_is_written() -> None:
    buyer, _mine = make_buyer()
    _other, theirs = make_buyer()
    sku = make_sku(stock=3)
    with pytest.raises(NotFound) as refused:
        place(buyer, theirs, sku)
    assert refused.value.field == "address_id"
    assert Order.objects.count() == 0
    assert inventory_selectors.stock_of(sku) == (3, 0)


def test_sold_out_is_clear_and_writes_nothing() -> None:
    buyer, address = make_buyer()
    sku = make_sku(stock=1)
    with pytest.raises(Conflict) as refused:
        place(buyer, address, sku, quantity=2)
    assert refused.value.code == "out_of_stock"
    assert Order.objects.count() == 0
    assert OutboxEvent.objects.filter(event_type="orders.OrderPlaced").count() == 0


def test_a_changed_total_is_reported_not_charged() -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=1000)
    with pytest.raises(Conflict) as refused:
        place(buyer, address, sku, expected_total=999)
    assert (refused.value.code, refused.value.extra) == ("price_changed", {"total": 1800})
    assert Order.objects.count() == 0
    assert place(buyer, address, sku, expected_total=1800).total == 1800


def test_bad_input_names_the_field() -> None:
    buyer, address = make_buyer()
    sku = make_sku()
    with pytest.raises(ValidationFailed) as no_address:
        place(buyer, None, sku)  # type: ignore[arg-type]
    assert no_address.value.field == "address_id"
    with pytest.raises(ValidationFailed) as long_note:
        place(buyer, address, sku, note="x" * 201)
    assert long_note.value.field == "note"
    with pytest.raises(ValidationFailed) as zero:
        place(buyer, address, sku, quantity=0)
    assert zero.value.field == "items[0].quantity"
    assert Order.objects.count() == 0


def test_paying_through_the_gateway_pays_the_order_and_commits_stock(pay: Pay) -> None:
    buyer, address = make_buyer()
    sku = make_sku(stock=4)
    order = pay(place(buyer, address, sku, quantity=3))
    assert (order.status, order.paid_amount) == ("paid", order.total)
    assert inventory_selectors.stock_of(sku) == (1, 0)
    assert payment_selectors.captured_total(order.number) == order.total
    assert _events(order.number) == [
        "orders.OrderPlaced",
        "payments.PaymentCaptured",
        "orders.OrderPaid",
    ]


def test_duplicate_and_out_of_order_webhooks_pay_once(pay: Pay) -> None:
    buyer, address = make_buyer()
    order = pay(
        place(buyer, address, make_sku()),
        behaviour=gateway.Behaviour(duplicate_webhooks=True, out_of_order=True),
    )
    assert order.status == "paid"
    assert _events(order.number).count("payments.PaymentCaptured") == 1
    assert _events(order.number).count("orders.OrderPaid") == 1
    assert OrderTransition.objects.filter(order=order, to_status="paid").count() == 1


def test_failed_payment_leaves_the_order_payable(pay: Pay) -> None:
    buyer, address = make_buyer()
    order = pay(place(buyer, address, make_sku()), press=False)
    assert order.status == "pending_payment"
    assert pay(order).status == "paid"


def test_buyer_cancels_an_unpaid_order_and_stock_returns() -> None:
    buyer, address = make_buyer()
    sku = make_sku(stock=2)
    order = place(buyer, address, sku, quantity=2)
    services.order_cancel(actor_id=buyer.pk, number=order.number, reason="买错了")
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "买错了")
    assert inventory_selectors.stock_of(sku) == (2, 0)
    with pytest.raises(Conflict) as again:
        services.order_cancel(actor_id=buyer.pk, number=order.number)
    assert again.value.code == "illegal_transition"


def test_others_cannot_touch_an_order() -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    stranger = UserFactory()
    with pytest.raises(NotFound):
        services.order_cancel(actor_id=stranger.pk, number=order.number)
    with pytest.raises(NotFound):
        services.order_pay(buyer_id=stranger.pk, number=order.number, return_url="/")
    assert selectors.order_for_buyer(buyer_id=stranger.pk, number=order.number) is None
    with pytest.raises(PermissionDenied):
        services.order_ship(
            staff_id=stranger.pk, number=order.number, carrier="SF", tracking_number="1"
        )


def test_unpaid_orders_expire_and_release_stock_and_the_sweep_is_idempotent() -> None:
    buyer, address = make_buyer()
    sku = make_sku(stock=3)
    order = place(buyer, address, sku, quantity=3)
    assert services.orders_cancel_unpaid() == 0
    Order.objects.filter(pk=order.pk).update(payment_deadline=clock.now() - timedelta(seconds=1))
    assert services.orders_cancel_unpaid() == 1
    assert services.orders_cancel_unpaid() == 0
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert inventory_selectors.stock_of(sku) == (3, 0)
    assert _events(order.number) == ["orders.OrderPlaced", "orders.OrderCancelled"]
    with pytest.raises(Conflict) as late:
        services.order_pay(buyer_id=buyer.pk, number=order.number, return_url="/")
    assert late.value.code == "not_payable"


def test_a_capture_arriving_after_cancellation_is_refunded(
    pay: Pay, drain: Callable[[], None], django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.order_pay(buyer_id=buyer.pk, number=order.number, return_url="/")
    token = payment.redirect_url.rstrip("/").rsplit("/", 1)[-1]
    charge = gateway.charge_by_token(token=token)
    with django_capture_on_commit_callbacks(execute=False):  # the webhook has not arrived yet
        gateway.charge_complete(token=token, pay=True)
    Order.objects.filter(pk=order.pk).update(payment_deadline=clock.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.orders_cancel_unpaid()
    drain()
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert charge.charge_id
    assert payment_selectors.captured_total(order.number) == order.total
    assert payment_selectors.refunded_total(order.number) == order.total


@override_settings(ORDER_AUTO_CONFIRM_DAYS=10, ORDER_COMPLETE_AFTER_DAYS=7)
def test_ship_deliver_complete_with_staff_and_sweeps(pay: Pay) -> None:
    from tests.orders.test_aftersales import make_staff

    buyer, address = make_buyer()
    staff = make_staff()
    order = pay(place(buyer, address, make_sku()))
    with pytest.raises(ValidationFailed) as bad_tracking:
        services.order_ship(
            staff_id=staff.pk, number=order.number, carrier="顺丰", tracking_number="<b>"
        )
    assert bad_tracking.value.field == "tracking_number"
    services.order_ship(
        staff_id=staff.pk, number=order.number, carrier="顺丰", tracking_number="SF123"
    )
    with pytest.raises(Conflict):
        services.order_ship(
            staff_id=staff.pk, number=order.number, carrier="顺丰", tracking_number="SF1"
        )
    Order.objects.filter(pk=order.pk).update(shipped_at=clock.now() - timedelta(days=11))
    assert services.orders_auto_progress() == (1, 0)
    Order.objects.filter(pk=order.pk).update(delivered_at=clock.now() - timedelta(days=8))
    assert services.orders_auto_progress() == (0, 1)
    assert [to for _from, to in selectors.transitions_of(order.number)] == [
        "pending_payment",
        "paid",
        "shipped",
        "delivered",
        "completed",
    ]
    assert _events(order.number)[-3:] == [
        "orders.OrderShipped",
        "orders.OrderDelivered",
        "orders.OrderCompleted",
    ]
    assert (
        len(
            selectors.delivered_purchases(user_id=buyer.pk, product_id=order.lines.get().product_id)
        )
        == 1
    )


def test_buy_now_skips_the_cart_and_checkout_removes_cart_lines() -> None:
    from circlemart.cart import selectors as cart_selectors
    from circlemart.cart import services as cart_services

    buyer, address = make_buyer()
    sku, other = make_sku(), make_sku()
    cart = cart_services.cart_ensure(user_id=buyer.pk)
    cart_services.cart_add(cart_id=cart, sku_id=sku, quantity=2)
    cart_services.cart_add(cart_id=cart, sku_id=other, quantity=1)
    services.order_place(
        buyer_id=buyer.pk,
        data=services.CheckoutInput(items=[QuoteItem(sku, 2)], address_id=address, cart_id=cart),
    )
    assert [line.sku_id for line in cart_selectors.cart_view(cart).lines] == [other]
    now = place(buyer, address, other, source="buy_now")
    assert now.source == "buy_now"
    assert [line.sku_id for line in cart_selectors.cart_view(cart).lines] == [other]


def test_a_refusing_commit_hook_rolls_the_whole_order_back() -> None:
    from circlemart.pricing import rules
    from circlemart.pricing.contracts import PlacedOrder

    seen: list[str] = []

    class UsesUpACoupon:
        code = "test.coupon"

        def on_order_placed(self, placed: PlacedOrder) -> None:
            seen.append(placed.order_number)
            assert placed.options == {"test_marker": 7}
            raise Conflict("This coupon was used a moment ago.", code="coupon_used")

    rules.register_commit_hook(UsesUpACoupon())
    buyer, address = make_buyer()
    sku = make_sku(stock=2)
    try:
        with pytest.raises(Conflict) as refused:
            place(buyer, address, sku, options={"test_marker": 7})
    finally:
        rules.unregister_commit_hook("test.coupon")
    assert refused.value.code == "coupon_used"
    assert len(seen) == 1
    assert Order.objects.count() == 0
    assert inventory_selectors.stock_of(sku) == (2, 0)
    assert OutboxEvent.objects.filter(event_type="orders.OrderPlaced").count() == 0
