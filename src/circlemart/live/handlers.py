"""What live rooms do when other apps' events arrive (delivered by the outbox, at least once;
idempotent): a paid order whose attribution is `live:<room id>` becomes a RoomOrder (once per
order number) and an `order` frame in its room."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.live.services import orders
from circlemart.orders.events import OrderPaid


@handles(OrderPaid)
def record_room_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderPaid)
    orders.room_order_record(order_number=event.order_number, paid_at=delivered.occurred_at)
