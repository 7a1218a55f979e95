"""What levels and badges do when other apps' events arrive (delivered at least once by the
outbox; every write below is keyed by what it counts, so a redelivery changes nothing):

- an order's after-sales window closed → growth value for what the buyer kept;
- an order paid → the "orders paid" badge count;
- a review or a note published → growth value and its badge count;
- followed / unfollowed → the followee's follower count, read from social;
- checked in → growth value, days checked in, and the longest streak."""

from __future__ import annotations

from django.conf import settings

from circlemart.core.events import DeliveredEvent, handles
from circlemart.growth.checkin.events import CheckedIn
from circlemart.growth.levels import services
from circlemart.growth.levels.contracts import BadgeCounter, GrowthReason
from circlemart.orders.events import OrderAfterSalesClosed, OrderPaid
from circlemart.reviews.events import ReviewPublished
from circlemart.social import selectors as social_selectors
from circlemart.social.events import NotePublished, UserFollowed, UserUnfollowed


@handles(OrderAfterSalesClosed)
def growth_for_kept_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderAfterSalesClosed)
    kept = sum(
        max(int(line.get("total", 0)) - int(line.get("refunded_amount", 0)), 0)
        for line in event.lines
    )
    services.growth_value_for_order(
        buyer_id=event.buyer_id, order_number=event.order_number, kept_amount=kept
    )


@handles(OrderPaid)
def count_paid_order(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderPaid)
    services.badge_progress_step(
        user_id=event.buyer_id,
        counter=BadgeCounter.ORDERS_PAID,
        idempotency_key=f"badge:orders_paid:{event.order_number}",
    )


@handles(ReviewPublished)
def growth_for_review(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, ReviewPublished)
    services.growth_value_add(
        user_id=event.author_id,
        amount=int(settings.LEVELS_GROWTH_REVIEW),
        reason=GrowthReason.REVIEW,
        idempotency_key=f"levels:review:{event.review_id}",
        reference=f"review:{event.review_id}",
    )
    services.badge_progress_step(
        user_id=event.author_id,
        counter=BadgeCounter.REVIEWS,
        idempotency_key=f"badge:reviews:{event.review_id}",
    )


@handles(NotePublished)
def growth_for_note(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, NotePublished)
    services.growth_value_add(
        user_id=event.author_id,
        amount=int(settings.LEVELS_GROWTH_NOTE),
        reason=GrowthReason.NOTE,
        idempotency_key=f"levels:note:{event.note_id}",
        reference=f"note:{event.note_id}",
    )
    services.badge_progress_step(
        user_id=event.author_id,
        counter=BadgeCounter.NOTES,
        idempotency_key=f"badge:notes:{event.note_id}",
    )


def _count_followers(followee_id: int) -> None:
    services.badge_progress_set(
        user_id=followee_id,
        counter=BadgeCounter.FOLLOWERS,
        value=social_selectors.follower_count(followee_id),
    )


@handles(UserFollowed)
def count_followers_on_follow(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, UserFollowed)
    _count_followers(event.followee_id)


@handles(UserUnfollowed)
def count_followers_on_unfollow(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, UserUnfollowed)
    _count_followers(event.followee_id)


@handles(CheckedIn)
def growth_for_checkin(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, CheckedIn)
    key = f"{event.user_id}:{event.day}"
    services.growth_value_add(
        user_id=event.user_id,
        amount=int(settings.LEVELS_GROWTH_CHECKIN),
        reason=GrowthReason.CHECKIN,
        idempotency_key=f"levels:checkin:{key}",
        reference=event.day,
    )
    services.badge_progress_step(
        user_id=event.user_id,
        counter=BadgeCounter.CHECKINS,
        idempotency_key=f"badge:checkins:{key}",
    )
    services.badge_progress_set(
        user_id=event.user_id,
        counter=BadgeCounter.CHECKIN_STREAK,
        value=event.streak,
        only_up=True,
    )
