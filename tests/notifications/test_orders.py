"""Order news in the buyer's inbox: paid, shipped, delivered (automatically), cancelled for
them, and every refund, each linked to the order page; plus one journey through the outbox
where an auto-cancelled order's late payment is refunded and the buyer hears of both."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import translation

from circlemart.core import clock
from circlemart.core.events import DeliveredEvent, relay_pending
from circlemart.notifications import selectors
from circlemart.notifications.handlers import on_order_paid
from circlemart.notifications.models import Notification
from circlemart.orders import services as order_services
from circlemart.orders.events import OrderCancelled, OrderDelivered, OrderPaid, OrderShipped
from circlemart.orders.models import Order
from circlemart.payments import gateway
from circlemart.payments.events import RefundSucceeded
from tests.notifications.helpers import deliver, group_of
from tests.orders.conftest import make_buyer, make_sku, place, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_gateway(settings: Any) -> Iterator[None]:
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "in_process"
    settings.PAYMENTS_TEST_MODE = True
    with translation.override("en"):
        yield


@pytest.fixture
def order() -> Order:
    buyer, address = make_buyer()
    return place(buyer, address, make_sku(price=5900))


def _inbox(user_id: int) -> list[tuple[str, str, str, str]]:
    return [
        (view.kind.value, view.sentence, view.excerpt, view.url)
        for view in selectors.inbox_page(user_id=user_id, cursor=None, limit=20).items
    ]


def test_paid_shipped_and_automatic_delivery_reach_the_buyer(order: Order) -> None:
    number, buyer = order.number, order.buyer_id
    deliver(OrderPaid(order_number=number, buyer_id=buyer, amount=6700, currency="CNY"))
    deliver(OrderShipped(order_number=number, buyer_id=buyer, carrier="SF", tracking_number="9"))
    deliver(OrderDelivered(order_number=number, buyer_id=buyer, delivered_by="system"))
    assert sorted(_inbox(buyer)) == [
        (
            "order_delivered",
            "Your order has been delivered",
            number,
            f"/orders/{number}/",
        ),
        (
            "order_paid",
            "Payment received: your order is being prepared",
            f"{number} · ¥67.00",
            f"/orders/{number}/",
        ),
        ("order_shipped", "Your order has shipped", f"{number} · SF 9", f"/orders/{number}/"),
    ]
    assert group_of(buyer, "order_paid").is_read is False


def test_what_the_buyer_did_themselves_is_no_news(order: Order) -> None:
    number, buyer = order.number, order.buyer_id
    deliver(
        OrderDelivered(order_number=number, buyer_id=buyer, delivered_by="buyer"),
        OrderCancelled(order_number=number, buyer_id=buyer, reason="x", cancelled_by="buyer"),
    )
    assert Notification.objects.count() == 0


def test_a_cancellation_by_the_system_says_why(order: Order) -> None:
    deliver(
        OrderCancelled(
            order_number=order.number,
            buyer_id=order.buyer_id,
            reason="Not paid in time",
            cancelled_by="system",
        )
    )
    assert _inbox(order.buyer_id) == [
        (
            "order_cancelled",
            "Your order was cancelled",
            f"{order.number} · Not paid in time",
            f"/orders/{order.number}/",
        )
    ]


def test_every_refund_bumps_the_order_group_unread_again(order: Order) -> None:
    def refund(refund_id: int, amount: int) -> RefundSucceeded:
        return RefundSucceeded(
            refund_id=refund_id,
            order_number=order.number,
            amount=amount,
            currency="CNY",
            reference=f"aftersales:{refund_id}",
        )

    deliver(refund(1, 1000))
    row = group_of(order.buyer_id, "order_refunded")
    Notification.objects.filter(pk=row.pk).update(is_read=True)
    deliver(refund(2, 2500))
    row.refresh_from_db()
    assert (row.is_read, row.actor_count, row.excerpt) == (False, 1, f"{order.number} · ¥25.00")
    assert Notification.objects.filter(kind="order_refunded").count() == 1
    assert relay_pending() == 0  # each event was handled once; nothing is left to replay


def test_news_about_an_unknown_order_is_dropped() -> None:
    event = OrderPaid(order_number="CM404", buyer_id=1, amount=1, currency="CNY")
    on_order_paid(DeliveredEvent(event_id=uuid.uuid4(), occurred_at=clock.now(), event=event))
    assert Notification.objects.count() == 0


def test_an_order_kind_can_be_turned_off(order: Order) -> None:
    from circlemart.notifications.services import preferences_set

    preferences_set(user_id=order.buyer_id, changes={"order_shipped": False})
    deliver(
        OrderShipped(order_number=order.number, buyer_id=order.buyer_id, carrier="SF"),
    )
    assert Notification.objects.count() == 0


def test_auto_cancelled_then_paid_late_the_buyer_hears_of_the_refund(
    order: Order, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """The whole way through the outbox: the unpaid order is cancelled by the sweep, the money
    arrives after all and goes straight back — the buyer is told of both, not left silent."""

    def drain() -> None:
        for _round in range(10):
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                delivered = relay_pending()
            if not delivered and not callbacks:
                return

    with django_capture_on_commit_callbacks(execute=True):
        payment = order_services.order_pay(
            buyer_id=order.buyer_id, number=order.number, return_url="/"
        )
    token = token_of(payment.redirect_url)
    with django_capture_on_commit_callbacks(execute=False):  # the webhook has not arrived yet
        gateway.charge_complete(token=token, pay=True)
    Order.objects.filter(pk=order.pk).update(payment_deadline=clock.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert order_services.orders_cancel_unpaid() == 1
    drain()
    order.refresh_from_db()
    assert order.status == "cancelled"
    inbox = {kind: (excerpt, url) for kind, _sentence, excerpt, url in _inbox(order.buyer_id)}
    assert inbox == {
        "order_cancelled": (f"{order.number} · Not paid in time", f"/orders/{order.number}/"),
        "order_refunded": (f"{order.number} · ¥67.00", f"/orders/{order.number}/"),
    }
