"""Server events: what other apps do lands in the event log through the outbox — exact rows,
once per outbox event, and optional ones only with the user's consent."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from circlemart.accounts import services as account_services
from circlemart.accounts.models import User
from circlemart.analytics.models import Event
from circlemart.analytics.tracking import server_events
from circlemart.analytics.tracking.consent import consent_record
from circlemart.core import clock
from circlemart.core.errors import NotAuthenticated
from circlemart.core.events import DeliveredEvent, DomainEvent, publish, rebuild, relay_pending
from circlemart.core.models import HandlerReceipt, OutboxEvent
from circlemart.moderation import services as moderation_services
from circlemart.moderation import wordfilter
from circlemart.orders import aftersales
from circlemart.orders import services as order_services
from circlemart.orders.events import OrderPaid
from circlemart.orders.models import Order
from circlemart.pricing.contracts import QuoteItem
from circlemart.promotions.coupons import services as coupon_services
from circlemart.promotions.events import GroupJoined
from circlemart.reviews import services as review_services
from circlemart.social import services as social_services
from circlemart.social.events import CircleJoined, CommentPosted, NoteFavourited, NoteShared
from tests.accounts.factories import PASSWORD, UserFactory
from tests.accounts.test_services import sent_code
from tests.catalog import factories as catalog_factories
from tests.orders import conftest as orders_fixtures
from tests.orders.conftest import make_buyer, make_sku, place
from tests.orders.test_aftersales import make_staff
from tests.promotions.conftest import template
from tests.reviews.helpers import Purchases
from tests.social.helpers import note

pytestmark = pytest.mark.django_db

# The orders fixtures, by name: webhooks in process, paying through the test gateway, running
# a service as its own request would and draining the outbox after it.
_webhooks_in_process = orders_fixtures._webhooks_in_process
act = orders_fixtures.act
drain = orders_fixtures.drain
pay = orders_fixtures.pay

Pay = Callable[..., Order]
Act = Callable[..., Any]
HANDLER = "circlemart.analytics.handlers.on_tracked_event"


def rows(*names: str) -> list[tuple[str, int | None, str, int | None]]:
    """(name, user_id, object_id, amount) of the stored events with these names, in order."""
    query = Event.objects.filter(name__in=names).order_by("id")
    return [(e.name, e.user_id, e.object_id, e.amount) for e in query]


def allow(*users: User) -> None:
    for user in users:
        consent_record(allowed=True, user_id=user.pk)


# --- accounts --------------------------------------------------------------------------------


def test_registration_is_recorded_without_consent_and_login_only_with_it(
    sent_sms: list[tuple[str, str]],
) -> None:
    user = account_services.user_register_with_email(email="new@example.com", password=PASSWORD)
    relay_pending()
    account_services.user_authenticate_password(email="new@example.com", password=PASSWORD, ip="1")
    relay_pending()

    assert rows("user_registered", "user_logged_in") == [
        ("user_registered", user.pk, str(user.pk), None)
    ]
    registered = Event.objects.get(name="user_registered")
    assert (registered.origin, registered.object_type, registered.properties) == (
        "server",
        "user",
        {"method": "email"},
    )

    allow(user)
    account_services.user_authenticate_password(email="new@example.com", password=PASSWORD, ip="1")
    phone_user = UserFactory.with_phone("+8613800138000")
    allow(phone_user)
    account_services.otp_request(phone="13800138000", ip="1")
    account_services.user_login_with_otp(phone="13800138000", code=sent_code(sent_sms), ip="1")
    relay_pending()

    logins = Event.objects.filter(name="user_logged_in").order_by("id")
    assert [(e.user_id, e.object_id, e.properties) for e in logins] == [
        (user.pk, str(user.pk), {"method": "password"}),
        (phone_user.pk, str(phone_user.pk), {"method": "phone"}),
    ]


def test_a_wrong_password_publishes_no_login() -> None:
    user = UserFactory()
    allow(user)
    with pytest.raises(NotAuthenticated):
        account_services.user_authenticate_password(email=user.email, password="nope", ip="1")
    assert not OutboxEvent.objects.filter(event_type="accounts.UserLoggedIn").exists()


# --- orders ----------------------------------------------------------------------------------


def test_paid_order_with_a_coupon_records_each_line_after_its_share_of_the_discount(
    pay: Pay,
) -> None:
    buyer, address = make_buyer()
    allow(buyer)
    first = catalog_factories.product(prices=(12000,), stock=(5,))
    second = catalog_factories.product(prices=(4000,), stock=(5,))
    coupon_template = template(amount=1000)
    coupon = coupon_services.coupon_claim(user_id=buyer.pk, template_id=coupon_template.pk).id
    order = order_services.order_place(
        buyer_id=buyer.pk,
        data=order_services.CheckoutInput(
            items=[
                QuoteItem(sku_id=first.skus.get().pk, quantity=1),
                QuoteItem(sku_id=second.skus.get().pk, quantity=2),
            ],
            address_id=address,
            options={"coupon_ids": [coupon]},
            attribution={"channel": "share"},
        ),
    )
    relay_pending()
    placed = Event.objects.get(name="order_placed")
    assert (placed.user_id, placed.object_id, placed.amount, placed.currency) == (
        buyer.pk,
        order.number,
        19000,  # ¥120 + 2 × ¥40 − ¥10, free shipping
        "CNY",
    )
    assert placed.properties == {"lines": 2, "units": 3, "channel": "share"}

    pay(order)

    assert rows("order_paid", "product_sold") == [
        ("order_paid", buyer.pk, order.number, 19000),
        # The ¥10 coupon is shared by line value: ¥120 takes ¥6, the two ¥40 units ¥4.
        ("product_sold", buyer.pk, str(first.pk), 11400),
        ("product_sold", buyer.pk, str(second.pk), 7600),
    ]
    sold = Event.objects.filter(name="product_sold").order_by("id")
    assert [e.properties for e in sold] == [
        {"units": 1, "order": order.number, "category": first.category_id},
        {"units": 2, "order": order.number, "category": second.category_id},
    ]
    assert Event.objects.get(name="order_paid").properties == {
        "lines": 2,
        "units": 3,
        "channel": "share",
    }
    assert rows("coupon_claimed", "coupon_used") == [
        ("coupon_claimed", buyer.pk, str(coupon_template.pk), None),
        ("coupon_used", buyer.pk, str(coupon_template.pk), 1000),
    ]
    assert Event.objects.get(name="coupon_used").properties == {"order": order.number}


def test_cancelled_order_is_recorded_with_its_total_and_reason(act: Act) -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku(price=3000))
    act(order_services.order_cancel, actor_id=buyer.pk, number=order.number, reason="太贵了")

    assert rows("order_placed", "order_cancelled") == [
        ("order_placed", buyer.pk, order.number, 3800),  # ¥30 + ¥8 shipping
        ("order_cancelled", buyer.pk, order.number, 3800),
    ]
    assert Event.objects.get(name="order_cancelled").properties == {"reason": "太贵了"}


def test_partial_then_full_refund(pay: Pay, act: Act) -> None:
    buyer, address = make_buyer()
    staff = make_staff()
    order = pay(place(buyer, address, make_sku(price=5000), quantity=2))  # ¥100, free shipping
    first = aftersales.aftersales_request(
        buyer_id=buyer.pk,
        number=order.number,
        kind="refund_only",
        reason="other",
        lines={order.lines.get().pk: 1},
    )
    act(aftersales.aftersales_approve, staff_id=staff.pk, request_id=first.pk)
    rest = aftersales.aftersales_request(
        buyer_id=buyer.pk, number=order.number, kind="refund_only", reason="other"
    )
    act(aftersales.aftersales_approve, staff_id=staff.pk, request_id=rest.pk)

    refunds = Event.objects.filter(name="order_refunded").order_by("id")
    assert [(e.user_id, e.object_id, e.amount, e.currency, e.properties) for e in refunds] == [
        (buyer.pk, order.number, 5000, "CNY", {"fully": False}),
        (buyer.pk, order.number, 5000, "CNY", {"fully": True}),
    ]


def test_shipping_delivery_and_completion_are_recorded(pay: Pay, act: Act) -> None:
    buyer, address = make_buyer()
    staff = make_staff()
    order = pay(place(buyer, address, make_sku()))
    act(
        order_services.order_ship,
        staff_id=staff.pk,
        number=order.number,
        carrier="SF",
        tracking_number="SF1",
    )
    act(order_services.order_confirm_delivery, buyer_id=buyer.pk, number=order.number)
    act(order_services.order_complete, buyer_id=buyer.pk, number=order.number)

    assert rows("order_shipped", "order_delivered", "order_completed") == [
        ("order_shipped", buyer.pk, order.number, None),
        ("order_delivered", buyer.pk, order.number, None),
        ("order_completed", buyer.pk, order.number, None),
    ]


# --- social, reviews -------------------------------------------------------------------------


def test_follow_note_and_like_are_recorded_for_consenting_users() -> None:
    author, fan = UserFactory(), UserFactory()
    allow(author, fan)
    social_services.follow_create(follower_id=fan.pk, followee_id=author.pk)
    published = note(author)
    social_services.note_like(user_id=fan.pk, note_id=published.pk)
    relay_pending()

    assert rows("user_followed", "note_published", "note_liked") == [
        ("user_followed", fan.pk, str(author.pk), None),
        ("note_published", author.pk, str(published.pk), None),
        ("note_liked", fan.pk, str(published.pk), None),
    ]
    assert Event.objects.get(name="note_liked").properties == {"author": author.pk}
    assert Event.objects.get(name="note_published").properties == {"visibility": "public"}


def test_review_and_its_follow_up_carry_the_rating_and_review() -> None:
    buyer = UserFactory()
    allow(buyer)
    product = catalog_factories.product(prices=(3000,))
    line_id = Purchases().buy(buyer, product)
    review = review_services.review_create(
        author_id=buyer.pk, product_id=product.pk, order_line_id=line_id, rating=2, text="一般"
    )
    review_services.review_follow_up_create(
        author_id=buyer.pk, review_id=review.id, text="用了一周，还是一般"
    )
    relay_pending()

    assert rows("review_published", "review_followed_up") == [
        ("review_published", buyer.pk, str(product.pk), None),
        ("review_followed_up", buyer.pk, str(product.pk), None),
    ]
    assert Event.objects.get(name="review_published").properties == {
        "rating": 2,
        "review": review.id,
    }
    assert Event.objects.get(name="review_followed_up").properties == {"review": review.id}


def test_a_follow_up_waiting_for_a_moderator_is_recorded_once_approved() -> None:
    wordfilter._current = None  # a rolled-back word list must not linger in the matcher
    moderation_services.word_upsert(word="加微信", category="spam", action="review")
    buyer = UserFactory()
    allow(buyer)
    product = catalog_factories.product(prices=(3000,))
    line_id = Purchases().buy(buyer, product)
    review = review_services.review_create(
        author_id=buyer.pk, product_id=product.pk, order_line_id=line_id, rating=5
    )
    follow_up = review_services.review_follow_up_create(
        author_id=buyer.pk, review_id=review.id, text="想要便宜的加微信"
    )
    relay_pending()
    assert rows("review_followed_up") == []

    for _delivery in range(2):  # the approval, and a redelivered copy of it
        review_services.moderation_decided(
            content_type="review_follow_up", content_id=follow_up.id, is_approved=True
        )
    relay_pending()
    assert rows("review_followed_up") == [("review_followed_up", buyer.pk, str(product.pk), None)]
    wordfilter._current = None


# --- consent and redelivery ------------------------------------------------------------------


def test_a_declined_users_like_is_not_stored_but_their_paid_order_is(pay: Pay) -> None:
    buyer, address = make_buyer()
    author = UserFactory()
    allow(author)
    consent_record(allowed=False, user_id=buyer.pk)
    published = note(author)
    social_services.note_like(user_id=buyer.pk, note_id=published.pk)
    order = pay(place(buyer, address, make_sku(price=3000)))

    assert rows("note_liked") == []
    assert rows("order_paid") == [("order_paid", buyer.pk, order.number, 3800)]
    assert len(rows("product_sold")) == 1
    assert OutboxEvent.objects.get(event_type="social.NoteLiked").status == "delivered"


def test_an_undecided_user_is_not_tracked_while_consent_is_required() -> None:
    author, reader = UserFactory(), UserFactory()
    allow(author)
    social_services.follow_create(follower_id=reader.pk, followee_id=author.pk)
    relay_pending()
    assert rows("user_followed") == []


def test_a_redelivered_outbox_event_stores_nothing_new(pay: Pay) -> None:
    buyer, address = make_buyer()
    author = UserFactory()
    allow(buyer, author)
    social_services.follow_create(follower_id=buyer.pk, followee_id=author.pk)
    pay(place(buyer, address, make_sku()))
    before = sorted(Event.objects.values_list("event_id", "name"))
    assert {name for _id, name in before} >= {"order_placed", "order_paid", "user_followed"}

    # As if every receipt of ours were lost and the outbox delivered it all again.
    HandlerReceipt.objects.filter(handler=HANDLER).delete()
    OutboxEvent.objects.update(status=OutboxEvent.Status.PENDING)
    relay_pending()
    assert sorted(Event.objects.values_list("event_id", "name")) == before

    paid = OutboxEvent.objects.get(event_type="orders.OrderPaid")
    again = server_events.server_event_record(rebuild(paid))
    assert (again.stored, again.duplicates) == (0, 2)
    assert Event.objects.get(name="order_paid").event_id == paid.event_id


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            NoteFavourited(note_id=7, note_author_id=2, actor_id=3),
            ("note_favourited", 3, "7", {"author": 2}),
        ),
        (
            NoteShared(note_id=7, sharer_id=3, channel="poster"),
            ("note_shared", 3, "7", {"channel": "poster"}),
        ),
        (
            CommentPosted(comment_id=9, note_id=7, note_author_id=2, actor_id=3),
            ("comment_posted", 3, "7", {"author": 2}),
        ),
        (CircleJoined(circle_id=5, user_id=3), ("circle_joined", 3, "5", {})),
        (
            GroupJoined(group_id=4, deal_id=6, member_id=3, paid_count=1, size=3),
            ("group_joined", 3, "4", {"deal": 6}),
        ),
    ],
)
def test_the_other_social_and_promotion_events_map_to_their_rows(
    event: DomainEvent, expected: tuple[str, int, str, dict[str, Any]]
) -> None:
    delivered = DeliveredEvent(event_id=uuid.uuid4(), occurred_at=clock.now(), event=event)
    (record,) = server_events.records_for(delivered)
    assert (record.name, record.user_id, record.object_id, record.properties) == expected
    assert (record.event_id, record.occurred_at) == (delivered.event_id, delivered.occurred_at)


def test_an_event_about_a_missing_order_is_recorded_without_lines_not_retried() -> None:
    buyer = UserFactory()
    with transaction.atomic():
        publish(OrderPaid(order_number="CM-NOWHERE", buyer_id=buyer.pk, amount=500))
    relay_pending()

    assert rows("order_paid", "product_sold") == [("order_paid", buyer.pk, "CM-NOWHERE", 500)]
    assert OutboxEvent.objects.get(event_type="orders.OrderPaid").status == "delivered"
