"""Server events: other apps' domain events, as the outbox delivers them, become rows of the
event log (analytics/handlers.py subscribes one handler, which calls `server_event_record`,
to each event class in BUILDERS).

Every row takes the outbox event's id and time, so a redelivered event is a duplicate the log
drops; rows derived from one event (one `product_sold` per order line) get ids derived from it
(uuid5), just as stable. Events the catalogue does not mark `is_necessary` are kept only for
users whose consent allows tracking (tracking/consent.py). Money is in minor units.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.conf import settings

from circlemart.accounts.events import UserLoggedIn, UserRegistered
from circlemart.analytics.catalogue import CATALOGUE
from circlemart.analytics.contracts import EventRecord, RecordResult
from circlemart.analytics.services import events_record
from circlemart.analytics.tracking.consent import tracking_allowed
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core.events import DeliveredEvent, DomainEvent
from circlemart.orders import events as order_events
from circlemart.orders import selectors as order_selectors
from circlemart.orders.contracts import AnalyticsOrder
from circlemart.promotions.events import CouponClaimed, CouponUsed, GroupJoined
from circlemart.reviews.events import ReviewFollowUpPublished, ReviewPublished
from circlemart.social.events import (
    CircleJoined,
    CommentPosted,
    NoteFavourited,
    NoteLiked,
    NotePublished,
    NoteShared,
    UserFollowed,
)

logger = logging.getLogger(__name__)

Builder = Callable[[DeliveredEvent], list[EventRecord]]
E = TypeVar("E", bound=DomainEvent)


def _row(
    delivered: DeliveredEvent,
    name: str,
    *,
    user_id: int | None,
    object_id: object = "",
    amount: int | None = None,
    currency: str = "",
    properties: dict[str, Any] | None = None,
    part: str = "",
) -> EventRecord:
    """One log row for `delivered`. `part` tells apart several rows made from one event."""
    event_id = uuid.uuid5(delivered.event_id, part) if part else delivered.event_id
    return EventRecord(
        name=name,
        occurred_at=delivered.occurred_at,
        origin="server",
        event_id=event_id,
        user_id=user_id or None,
        object_id=str(object_id),
        amount=amount,
        currency=currency if amount is not None else "",
        properties={key: value for key, value in (properties or {}).items() if value != ""},
    )


def _event(delivered: DeliveredEvent, event_class: type[E]) -> E:
    event = delivered.event
    if not isinstance(event, event_class):  # the registry maps each class to its builder
        raise TypeError(f"expected {event_class.__name__}, got {type(event).__name__}")
    return event


# --- accounts --------------------------------------------------------------------------------


def _user_registered(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, UserRegistered)
    return [
        _row(
            delivered,
            "user_registered",
            user_id=event.user_id,
            object_id=event.user_id,
            properties={"method": event.method},
        )
    ]


def _user_logged_in(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, UserLoggedIn)
    return [
        _row(
            delivered,
            "user_logged_in",
            user_id=event.user_id,
            object_id=event.user_id,
            properties={"method": event.method},
        )
    ]


# --- orders ----------------------------------------------------------------------------------


def _channel(attribution: dict[str, str]) -> str:
    """The order's attribution channel, when checkout recorded one."""
    return str(attribution.get("channel") or attribution.get("utm_source") or "")[:100]


def _order(number: str) -> AnalyticsOrder | None:
    """The order an event names. Orders are never deleted; should one be missing, the row is
    still written from what the event carries rather than failing the handler, which would
    hold back every later event of that order for all the other handlers too."""
    order = order_selectors.order_for_analytics(number)
    if order is None:
        logger.warning("analytics: order of a server event not found", extra={"order": number})
    return order


def _order_placed(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, order_events.OrderPlaced)
    return [
        _row(
            delivered,
            "order_placed",
            user_id=event.buyer_id,
            object_id=event.order_number,
            amount=event.total,
            currency=event.currency,
            properties={
                "lines": len(event.lines),
                "units": sum(int(line.get("quantity", 0)) for line in event.lines),
                "channel": _channel(event.attribution),
            },
        )
    ]


def _order_paid(delivered: DeliveredEvent) -> list[EventRecord]:
    """The order, and one `product_sold` per line with what that line was paid after every
    discount (coupons included; shipping stays with the order)."""
    event = _event(delivered, order_events.OrderPaid)
    order = _order(event.order_number)
    lines = order.lines if order is not None else ()
    categories = catalog_selectors.product_category_ids(line.product_id for line in lines)
    rows = [
        _row(
            delivered,
            "order_paid",
            user_id=event.buyer_id,
            object_id=event.order_number,
            amount=event.amount,
            currency=event.currency,
            properties={
                "lines": len(lines),
                "units": sum(line.quantity for line in lines),
                "channel": _channel(order.attribution) if order is not None else "",
            },
        )
    ]
    for line in lines:
        properties: dict[str, Any] = {"units": line.quantity, "order": event.order_number}
        if line.product_id in categories:
            properties["category"] = categories[line.product_id]
        rows.append(
            _row(
                delivered,
                "product_sold",
                user_id=event.buyer_id,
                object_id=line.product_id,
                amount=line.total,
                currency=event.currency,
                properties=properties,
                part=f"product_sold:{line.line_id}",
            )
        )
    return rows


def _order_cancelled(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, order_events.OrderCancelled)
    order = _order(event.order_number)
    return [
        _row(
            delivered,
            "order_cancelled",
            user_id=event.buyer_id,
            object_id=event.order_number,
            amount=order.total if order is not None else None,
            currency=order.currency if order is not None else "",
            properties={"reason": event.reason[:200]},
        )
    ]


def _order_refunded(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, order_events.OrderRefunded)
    order = _order(event.order_number)
    return [
        _row(
            delivered,
            "order_refunded",
            user_id=event.buyer_id,
            object_id=event.order_number,
            amount=event.amount,
            currency=order.currency if order is not None else settings.DEFAULT_CURRENCY,
            properties={"fully": event.fully},
        )
    ]


def _order_shipped(delivered: DeliveredEvent) -> list[EventRecord]:
    # Shipped, delivered, completed: when it happened is the fact (ship and delivery times).
    event = _event(delivered, order_events.OrderShipped)
    return [_row(delivered, "order_shipped", user_id=event.buyer_id, object_id=event.order_number)]


def _order_delivered(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, order_events.OrderDelivered)
    return [
        _row(delivered, "order_delivered", user_id=event.buyer_id, object_id=event.order_number)
    ]


def _order_completed(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, order_events.OrderCompleted)
    return [
        _row(delivered, "order_completed", user_id=event.buyer_id, object_id=event.order_number)
    ]


# --- social ----------------------------------------------------------------------------------


def _user_followed(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, UserFollowed)
    return [
        _row(delivered, "user_followed", user_id=event.follower_id, object_id=event.followee_id)
    ]


def _note_published(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, NotePublished)
    return [
        _row(
            delivered,
            "note_published",
            user_id=event.author_id,
            object_id=event.note_id,
            properties={"visibility": event.visibility},
        )
    ]


def _note_liked(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, NoteLiked)
    return [
        _row(
            delivered,
            "note_liked",
            user_id=event.actor_id,
            object_id=event.note_id,
            properties={"author": event.note_author_id},
        )
    ]


def _note_favourited(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, NoteFavourited)
    return [
        _row(
            delivered,
            "note_favourited",
            user_id=event.actor_id,
            object_id=event.note_id,
            properties={"author": event.note_author_id},
        )
    ]


def _note_shared(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, NoteShared)
    return [
        _row(
            delivered,
            "note_shared",
            user_id=event.sharer_id,
            object_id=event.note_id,
            properties={"channel": event.channel},
        )
    ]


def _comment_posted(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, CommentPosted)
    return [
        _row(
            delivered,
            "comment_posted",
            user_id=event.actor_id,
            object_id=event.note_id,
            properties={"author": event.note_author_id},
        )
    ]


def _circle_joined(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, CircleJoined)
    return [_row(delivered, "circle_joined", user_id=event.user_id, object_id=event.circle_id)]


# --- promotions ------------------------------------------------------------------------------


def _coupon_claimed(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, CouponClaimed)
    return [_row(delivered, "coupon_claimed", user_id=event.owner_id, object_id=event.template_id)]


def _coupon_used(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, CouponUsed)
    return [
        _row(
            delivered,
            "coupon_used",
            user_id=event.owner_id,
            object_id=event.template_id,
            amount=event.amount,
            currency=settings.DEFAULT_CURRENCY,
            properties={"order": event.order_number},
        )
    ]


def _group_joined(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, GroupJoined)
    return [
        _row(
            delivered,
            "group_joined",
            user_id=event.member_id,
            object_id=event.group_id,
            properties={"deal": event.deal_id} if event.deal_id else {},
        )
    ]


# --- reviews ---------------------------------------------------------------------------------


def _review_published(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, ReviewPublished)
    return [
        _row(
            delivered,
            "review_published",
            user_id=event.author_id,
            object_id=event.product_id,
            properties={"rating": event.rating, "review": event.review_id},
        )
    ]


def _review_followed_up(delivered: DeliveredEvent) -> list[EventRecord]:
    event = _event(delivered, ReviewFollowUpPublished)
    return [
        _row(
            delivered,
            "review_followed_up",
            user_id=event.author_id,
            object_id=event.product_id,
            properties={"review": event.review_id},
        )
    ]


# Payments' events are left out on purpose: OrderPaid and OrderRefunded already carry every
# capture and refund that changed an order, with the order's buyer and currency.
BUILDERS: dict[type[DomainEvent], Builder] = {
    UserRegistered: _user_registered,
    UserLoggedIn: _user_logged_in,
    order_events.OrderPlaced: _order_placed,
    order_events.OrderPaid: _order_paid,
    order_events.OrderCancelled: _order_cancelled,
    order_events.OrderShipped: _order_shipped,
    order_events.OrderDelivered: _order_delivered,
    order_events.OrderCompleted: _order_completed,
    order_events.OrderRefunded: _order_refunded,
    UserFollowed: _user_followed,
    NotePublished: _note_published,
    NoteLiked: _note_liked,
    NoteFavourited: _note_favourited,
    NoteShared: _note_shared,
    CommentPosted: _comment_posted,
    CircleJoined: _circle_joined,
    CouponClaimed: _coupon_claimed,
    CouponUsed: _coupon_used,
    GroupJoined: _group_joined,
    ReviewPublished: _review_published,
    ReviewFollowUpPublished: _review_followed_up,
}


def records_for(delivered: DeliveredEvent) -> list[EventRecord]:
    """The log rows one domain event makes (none for an event analytics does not track)."""
    builder = BUILDERS.get(type(delivered.event))
    return builder(delivered) if builder is not None else []


def consented(records: Sequence[EventRecord]) -> list[EventRecord]:
    """Drop the optional rows of users who have not allowed tracking (one query per user)."""
    allowed: dict[int | None, bool] = {}
    kept = []
    for record in records:
        if not CATALOGUE[record.name].is_necessary:
            if record.user_id not in allowed:
                allowed[record.user_id] = tracking_allowed(user_id=record.user_id)
            if not allowed[record.user_id]:
                continue
        kept.append(record)
    return kept


def server_event_record(delivered: DeliveredEvent) -> RecordResult:
    """Store what `delivered` means for analytics. Safe to run again for the same event."""
    records = consented(records_for(delivered))
    if not records:
        return RecordResult(stored=0, duplicates=0)
    # historical: the outbox's own clock stamped these, and a relay that ran late (retries,
    # an outage) must still record an order, not dead-letter it as "too old".
    return events_record(records, historical=True)
