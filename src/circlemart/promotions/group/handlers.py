"""What group buy does when orders report back (delivered by the outbox, idempotent): members
are counted when paid, give their seat back when cancelled unpaid, and are refunded when their
group failed."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.orders.events import OrderCancelled, OrderPaid, OrderRefunded
from circlemart.promotions.events import GroupFailed
from circlemart.promotions.group import services


@handles(OrderPaid)
def count_paid_group_member(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderPaid)
    services.group_member_paid(order_number=event.order_number, paid_at=delivered.occurred_at)


@handles(OrderCancelled)
def free_seat_of_cancelled_group_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderCancelled)
    services.group_member_release(order_number=event.order_number)


@handles(OrderRefunded)
def settle_refunded_group_member(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderRefunded)
    if event.fully:
        services.group_member_refunded(order_number=event.order_number)


@handles(GroupFailed)
def refund_members_of_failed_group(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, GroupFailed)
    services.group_refund_members(group_id=event.group_id)
