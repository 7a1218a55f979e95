"""The README's demo logins open a living world: the shopper has orders in every state,
addresses, an inbox, coupons, a following feed, a group buy and a bargain under way; the
creator has followers and notes; the moderator has a queue; and every product's rating is
the one its reviews give. A second run adds nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from django.db.models import Sum

from circlemart.accounts.models import Address, User
from circlemart.accounts.seed import demo_email
from circlemart.catalog.models import Product
from circlemart.config.demo_world import (
    WORLD_KEY_PREFIX,
    coupon_states,
    seed_demo_world,
)
from circlemart.config.seed import seed_world
from circlemart.moderation import selectors as moderation_selectors
from circlemart.notifications.models import Notification
from circlemart.orders.contracts import OrderStatus
from circlemart.orders.models import AfterSalesRequest, Order
from circlemart.promotions.bargain.models import Bargain
from circlemart.promotions.flash.models import FlashSession
from circlemart.promotions.group.models import Group
from circlemart.promotions.seed import session_name
from circlemart.reviews.models import Review, ReviewSummary
from circlemart.social import selectors as social_selectors
from circlemart.social.models import Note

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.slow]


def _user(local: str) -> User:
    return User.objects.get(email=demo_email(local))


def test_the_demo_logins_live_in_a_world_with_ratings_from_reviews_and_repeatable(settings):
    # One world for every check: seeding is the slow part.
    settings.PAYMENTS_TEST_MODE = True
    summary = seed_world(seed=11, users=60, products=40, progress=False)
    shopper, creator, moderator = _user("shopper"), _user("creator"), _user("moderator")

    orders = Order.objects.filter(buyer=shopper, idempotency_key__startswith=WORLD_KEY_PREFIX)
    statuses = set(orders.values_list("status", flat=True))
    assert {
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PAID,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
        OrderStatus.CANCELLED,
        OrderStatus.REFUNDING,
        OrderStatus.REFUNDED,
    } <= statuses
    cancelled = orders.filter(status=OrderStatus.CANCELLED)
    assert cancelled.filter(transitions__actor_kind="system").exists()  # auto-cancelled
    assert cancelled.filter(transitions__actor_kind="buyer").exists()
    assert AfterSalesRequest.objects.filter(buyer=shopper, status="requested").exists()
    assert Review.objects.filter(author=shopper, status="published").exists()

    addresses = Address.objects.filter(user=shopper)
    assert addresses.count() == 2
    assert addresses.filter(is_default=True).count() == 1
    assert Address.objects.filter(user=creator).exists()

    kinds = set(Notification.objects.filter(recipient=shopper).values_list("kind", flat=True))
    assert {"follow", "note_like", "comment"} <= kinds

    coupons = coupon_states(shopper.pk)
    assert coupons["usable"] >= 2
    assert coupons["used"] >= 1
    assert coupons["expiring"] >= 1

    for login in (shopper, creator):
        feed = social_selectors.following_feed(viewer_id=login.pk, cursor=None, limit=10)
        assert feed.items, login.email
    assert social_selectors.follower_count(creator.pk) >= 20
    assert Note.objects.filter(author=creator, status=Note.Status.PUBLISHED).count() >= 3

    group = Group.objects.get(leader=shopper)
    assert group.status == "open"
    assert group.size - group.seats_taken == 1
    bargain = Bargain.objects.get(starter=shopper)
    assert bargain.helps.exists()

    assert moderator.is_active
    assert moderation_selectors.review_queue_count() >= 3

    sessions = list(FlashSession.objects.all())
    assert sessions
    for session in sessions:
        assert session.name == session_name(session.starts_at)
        assert session.starts_at.minute == 0

    summaries = {row.product_id: row for row in ReviewSummary.objects.filter(count__gt=0)}
    assert summaries  # demo buyers reviewed what was delivered
    for product in Product.objects.filter(code__startswith="DEMO-"):
        reviewed = summaries.get(product.pk)
        assert product.rating_count == (reviewed.count if reviewed else 0), product.code
        assert product.rating_sum == (reviewed.rating_sum if reviewed else 0), product.code

    orders, reviews = Order.objects.count(), Review.objects.count()
    notifications = Notification.objects.aggregate(total=Sum("actor_count"))["total"]
    assert seed_world(seed=11, users=60, products=40, progress=False) == summary
    assert not seed_demo_world(rng=random.Random(1), user_ids=[], progress=False)
    assert (Order.objects.count(), Review.objects.count()) == (orders, reviews)
    assert Notification.objects.aggregate(total=Sum("actor_count"))["total"] == notifications


def test_flash_session_names_are_their_start_in_the_shop_time_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    starts = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert session_name(starts) == "10:00 场"
