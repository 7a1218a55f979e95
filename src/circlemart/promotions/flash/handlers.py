"""What flash sales do when orders report back (delivered by the outbox, idempotent): paid →
the order's flash units are sold for good; cancelled → they return to the pool."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.orders.events import OrderCancelled, OrderPaid
from circlemart.promotions.flash import services


@handles(OrderPaid)
def settle_flash_units_of_paid_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderPaid)
    services.flash_purchases_mark_paid(order_number=event.order_number)


@handles(OrderCancelled)
def release_flash_units_of_cancelled_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderCancelled)
    services.flash_units_release(order_number=event.order_number)
