"""What coupons do when orders report back (delivered by the outbox, idempotent): paid → held
coupons are used for good and the buyer is no longer new; cancelled or refunded in full → the
order's coupons come back."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.orders.events import OrderCancelled, OrderPaid, OrderRefunded
from circlemart.promotions.coupons import services


@handles(OrderPaid)
def use_coupons_and_remember_buyer(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderPaid)
    services.coupons_mark_paid(order_number=event.order_number)
    services.paid_buyer_record(
        buyer_id=event.buyer_id, order_number=event.order_number, paid_at=delivered.occurred_at
    )


@handles(OrderCancelled)
def return_coupons_of_cancelled_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderCancelled)
    services.coupons_return_for_order(order_number=event.order_number, reason="cancelled")


@handles(OrderRefunded)
def return_coupons_of_refunded_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderRefunded)
    if event.fully:
        services.coupons_return_for_order(order_number=event.order_number, reason="refunded")
