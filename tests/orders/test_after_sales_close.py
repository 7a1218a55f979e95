"""The after-sales window closing: once per completed order, never while a request is open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings

from circlemart.core import clock
from circlemart.core.models import OutboxEvent
from circlemart.orders import aftersales, selectors, services
from circlemart.orders.models import Order
from tests.orders.conftest import make_buyer, make_sku, place
from tests.orders.test_aftersales import make_staff

pytestmark = pytest.mark.django_db

Pay = Callable[..., Order]


def _completed(pay: Pay, *, days_ago: int) -> tuple[Order, int]:
    buyer, address = make_buyer()
    staff = make_staff()
    order = pay(place(buyer, address, make_sku(price=3000), quantity=2))
    services.order_ship(staff_id=staff.pk, number=order.number, carrier="SF", tracking_number="1")
    services.order_confirm_delivery(buyer_id=buyer.pk, number=order.number)
    services.order_complete(buyer_id=buyer.pk, number=order.number)
    Order.objects.filter(pk=order.pk).update(completed_at=clock.now() - timedelta(days=days_ago))
    return Order.objects.get(pk=order.pk), buyer.pk


def _closed_events() -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(event_type="orders.OrderAfterSalesClosed"))


def test_a_completed_order_past_its_window_closes_once_with_its_lines(pay: Pay) -> None:
    window = settings.AFTER_SALES_WINDOW_DAYS
    order, buyer_id = _completed(pay, days_ago=window + 1)
    young, _ = _completed(pay, days_ago=window - 1)

    assert services.orders_close_after_sales() == 1
    assert services.orders_close_after_sales() == 0

    events = _closed_events()
    assert [event.aggregate_id for event in events] == [order.number]
    line = order.lines.get()
    assert events[0].payload["lines"] == [
        {
            "line_id": line.pk,
            "product_id": line.product_id,
            "sku_id": line.sku_id,
            "quantity": 2,
            "total": 6000,
            "refunded_amount": 0,
        }
    ]
    assert events[0].payload["buyer_id"] == buyer_id
    money = selectors.order_money(order.number)
    assert money is not None
    assert money.after_sales_closed_at is not None
    assert [(item.total, item.refunded_amount) for item in money.lines] == [(6000, 0)]
    assert selectors.order_money(young.number).after_sales_closed_at is None  # type: ignore[union-attr]


def test_an_open_after_sales_request_keeps_the_window_open(pay: Pay) -> None:
    order, buyer_id = _completed(pay, days_ago=1)
    aftersales.aftersales_request(
        buyer_id=buyer_id, number=order.number, kind="refund_only", reason="other"
    )
    Order.objects.filter(pk=order.pk).update(
        completed_at=clock.now() - timedelta(days=settings.AFTER_SALES_WINDOW_DAYS + 1)
    )
    assert services.orders_close_after_sales() == 0
    assert _closed_events() == []
