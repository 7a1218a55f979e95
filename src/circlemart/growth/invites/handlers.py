"""What invites do when other apps' events arrive (at least once; every write is keyed, so a
redelivery pays nothing twice): an order's after-sales window closed → the buyer's
`first_order` milestone, when they were invited and kept something of it."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.growth.invites import (
    checks,  # noqa: F401  (registers the start-up checks)
    services,
)
from circlemart.orders.events import OrderAfterSalesClosed


@handles(OrderAfterSalesClosed)
def first_order_of_invitee(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderAfterSalesClosed)
    kept = sum(
        max(int(line.get("total", 0)) - int(line.get("refunded_amount", 0)), 0)
        for line in event.lines
    )
    if event.paid_amount <= 0 or event.refunded_amount >= event.paid_amount:
        kept = 0  # a full refund (shipping included) keeps nothing
    services.invite_first_order_reach(
        buyer_id=event.buyer_id, order_number=event.order_number, kept_amount=kept
    )
