"""What distribution does when orders' events arrive (idempotent: each service checks what
it already wrote, and the outbox skips handlers that receipted an event)."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.growth.distribution import services
from circlemart.orders.events import (
    OrderAfterSalesClosed,
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
)


@handles(OrderPlaced)
def fix_earners_when_placed(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderPlaced)
    services.commission_order_record(
        order_number=event.order_number, buyer_id=event.buyer_id, placed_at=delivered.occurred_at
    )


@handles(OrderPaid)
def freeze_commission_when_paid(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderPaid)
    services.commissions_freeze(order_number=event.order_number)


@handles(OrderRefunded)
def reverse_commission_when_refunded(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderRefunded)
    services.commissions_reverse(order_number=event.order_number)


@handles(OrderCancelled)
def reverse_commission_when_cancelled(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderCancelled)
    services.commissions_reverse(order_number=event.order_number, everything=True)


@handles(OrderAfterSalesClosed)
def settle_commission_when_after_sales_closed(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderAfterSalesClosed)
    services.commissions_mark_due(
        order_number=event.order_number,
        line_refunds={int(line["line_id"]): int(line["refunded_amount"]) for line in event.lines},
    )
