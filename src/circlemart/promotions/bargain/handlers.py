"""What bargains do when orders report back (delivered by the outbox, idempotent): a paid
order's bargain is paid for good; an unpaid order cancelled gives its bargain back to the
starter, who may buy it again while its window is open."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.orders.events import OrderCancelled, OrderPaid
from circlemart.promotions.bargain import services


@handles(OrderPaid)
def settle_bargain_of_paid_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderPaid)
    services.bargain_order_paid(order_number=event.order_number, paid_at=delivered.occurred_at)


@handles(OrderCancelled)
def release_bargain_of_cancelled_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderCancelled)
    services.bargain_order_release(order_number=event.order_number)
