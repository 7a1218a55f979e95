"""Levels and badges react to other apps' events: each handler, delivered twice, counts once;
and end to end through the outbox (follows counted from social's live count)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import transaction

from circlemart.core import clock
from circlemart.core.events import DeliveredEvent, DomainEvent, relay_pending
from circlemart.growth.checkin.events import CheckedIn
from circlemart.growth.levels import handlers
from circlemart.growth.levels.models import (
    BadgeAward,
    BadgeProgress,
    BadgeRule,
    GrowthAccount,
    GrowthValueEntry,
    Level,
)
from circlemart.orders.events import OrderAfterSalesClosed, OrderPaid
from circlemart.reviews.events import ReviewPublished
from circlemart.social import services as social_services
from circlemart.social.events import NotePublished
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def deliver_twice(handler: Any, event: DomainEvent) -> None:
    delivered = DeliveredEvent(event_id=uuid.uuid4(), occurred_at=clock.now(), event=event)
    handler(delivered)
    handler(delivered)


def entries(user_id: int) -> list[tuple[int, str, str]]:
    rows = GrowthValueEntry.objects.filter(user_id=user_id).order_by("id")
    return [(row.amount, row.reason, row.reference) for row in rows]


def progress(user_id: int) -> dict[str, int]:
    return dict(BadgeProgress.objects.filter(user_id=user_id).values_list("counter", "value"))


def held(user_id: int) -> set[str]:
    return set(BadgeAward.objects.filter(user_id=user_id).values_list("rule__code", flat=True))


def test_after_sales_closed_counts_what_was_kept_once(levels: dict[str, Level]) -> None:
    buyer = UserFactory()
    event = OrderAfterSalesClosed(
        order_number="N1",
        buyer_id=buyer.pk,
        paid_amount=35_800,
        refunded_amount=15_000,
        lines=[
            {"line_id": 1, "product_id": 1, "sku_id": 1, "quantity": 1, "total": 30_000,
             "refunded_amount": 10_000},
            {"line_id": 2, "product_id": 2, "sku_id": 2, "quantity": 1, "total": 5_000,
             "refunded_amount": 5_000},
        ],
    )  # fmt: skip
    deliver_twice(handlers.growth_for_kept_order, event)
    assert entries(buyer.pk) == [(200, "order_kept", "N1")]  # shipping (800) never counts
    assert GrowthAccount.objects.get(user=buyer).total == 200


def test_a_paid_order_counts_for_badges_once(badges: dict[str, BadgeRule]) -> None:
    buyer = UserFactory()
    deliver_twice(
        handlers.count_paid_order, OrderPaid(order_number="N1", buyer_id=buyer.pk, amount=100)
    )
    assert progress(buyer.pk) == {"orders_paid": 1}
    assert held(buyer.pk) == {"first-order"}
    assert not GrowthValueEntry.objects.exists()  # growth waits for the after-sales window


def test_a_review_earns_growth_and_counts_once(
    levels: dict[str, Level], badges: dict[str, BadgeRule]
) -> None:
    author = UserFactory()
    event = ReviewPublished(review_id=7, product_id=1, author_id=author.pk, rating=5)
    deliver_twice(handlers.growth_for_review, event)
    assert entries(author.pk) == [(10, "review", "review:7")]
    assert progress(author.pk) == {"reviews": 1}


def test_a_note_earns_growth_and_the_first_note_badge_once(
    levels: dict[str, Level], badges: dict[str, BadgeRule]
) -> None:
    author = UserFactory()
    event = NotePublished(note_id=9, author_id=author.pk, visibility="public")
    deliver_twice(handlers.growth_for_note, event)
    assert entries(author.pk) == [(5, "note", "note:9")]
    assert progress(author.pk) == {"notes": 1}
    assert held(author.pk) == {"first-note"}


def test_a_checkin_earns_growth_days_and_the_streak_record_once(
    levels: dict[str, Level], badges: dict[str, BadgeRule]
) -> None:
    user = UserFactory()
    deliver_twice(
        handlers.growth_for_checkin, CheckedIn(user_id=user.pk, day="2025-05-03", streak=7)
    )
    deliver_twice(
        handlers.growth_for_checkin,
        CheckedIn(user_id=user.pk, day="2025-05-01", streak=2, is_make_up=True),
    )
    assert entries(user.pk) == [(2, "checkin", "2025-05-03"), (2, "checkin", "2025-05-01")]
    assert progress(user.pk) == {"checkins": 2, "checkin_streak": 7}
    assert held(user.pk) == {"streak-7"}


def test_follows_through_the_outbox_count_the_live_follower_number(
    badges: dict[str, BadgeRule],
) -> None:
    BadgeRule.objects.filter(code="followers-100").update(threshold=2)
    star = UserFactory()
    fans = UserFactory.create_batch(2)
    for fan in fans:
        with transaction.atomic():
            social_services.follow_create(follower_id=fan.pk, followee_id=star.pk)
    relay_pending()
    assert progress(star.pk)["followers"] == 2
    assert held(star.pk) == {"followers-100"}
    with transaction.atomic():
        social_services.follow_delete(follower_id=fans[0].pk, followee_id=star.pk)
    relay_pending()
    assert progress(star.pk)["followers"] == 1
    assert held(star.pk) == {"followers-100"}
