"""What points do when orders and reviews report back (delivered by the outbox at least once;
each handler is idempotent by its event and by cumulative targets, see points/orders.py):
- order cancelled → every point it spent comes back;
- order refunded → the refunded share of its spent points comes back, and the refunded share
  of purchase points already credited is taken back (what the balance lacks is owed);
- after-sales window closed → purchase points on what was kept;
- review published with photos → the review_with_photos rule's points, once per review."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.growth.points import orders as points_orders
from circlemart.growth.points import selectors, services
from circlemart.growth.points.contracts import EarnRuleCode
from circlemart.orders.events import OrderAfterSalesClosed, OrderCancelled, OrderRefunded
from circlemart.reviews import selectors as review_selectors
from circlemart.reviews.events import ReviewPublished


@handles(OrderCancelled)
def return_points_of_cancelled_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderCancelled)
    points_orders.points_return_for_order(
        order_number=event.order_number,
        reason=selectors.REASON_ORDER_CANCELLED,
        event_key=str(delivered.event_id),
        fully=True,
    )


@handles(OrderRefunded)
def settle_points_of_refunded_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderRefunded)
    points_orders.points_return_for_order(
        order_number=event.order_number,
        reason=selectors.REASON_ORDER_REFUNDED,
        event_key=str(delivered.event_id),
        fully=event.fully,
    )
    points_orders.points_reverse_for_order(
        order_number=event.order_number, event_key=str(delivered.event_id)
    )


@handles(OrderAfterSalesClosed)
def earn_purchase_points(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderAfterSalesClosed)
    points_orders.points_earn_for_order(
        order_number=event.order_number, buyer_id=event.buyer_id, lines=event.lines
    )


@handles(ReviewPublished)
def earn_review_with_photos_points(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, ReviewPublished)
    if review_selectors.review_photo_count(review_id=event.review_id) == 0:
        return
    services.points_earn_by_rule(
        user_id=event.author_id,
        code=EarnRuleCode.REVIEW_WITH_PHOTOS,
        reference=f"review:{event.review_id}",
        idempotency_key=f"points-review:{event.review_id}",
    )
