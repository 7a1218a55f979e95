"""What promotions does when orders report back (delivered by the outbox, idempotent):
paid → held coupons are used for good and the buyer is no longer new; cancelled or refunded
in full → the order's coupons come back; cancelled → its flash units return to the pool (a
paid order's flash units are sold for good); group members are counted when paid, give their
seat back when cancelled unpaid, and are refunded when their group failed."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.orders.events import OrderCancelled, OrderPaid, OrderRefunded
from circlemart.promotions import flash_services, group_services, services
from circlemart.promotions.events import GroupFailed


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


@handles(OrderPaid)
def settle_flash_units_of_paid_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderPaid)
    flash_services.flash_purchases_mark_paid(order_number=event.order_number)


@handles(OrderCancelled)
def release_flash_units_of_cancelled_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderCancelled)
    flash_services.flash_units_release(order_number=event.order_number)


@handles(OrderPaid)
def count_paid_group_member(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderPaid)
    group_services.group_member_paid(order_number=event.order_number, paid_at=delivered.occurred_at)


@handles(OrderCancelled)
def free_seat_of_cancelled_group_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderCancelled)
    group_services.group_member_release(order_number=event.order_number)


@handles(OrderRefunded)
def settle_refunded_group_member(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderRefunded)
    if event.fully:
        group_services.group_member_refunded(order_number=event.order_number)


@handles(GroupFailed)
def refund_members_of_failed_group(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, GroupFailed)
    group_services.group_refund_members(group_id=event.group_id)
