"""Selling in the room: pinning, live coupons (exact under concurrency), in-room flash deals,
announcements; and the reads that show them (room_detail, room lists)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from circlemart.core import clock
from circlemart.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from circlemart.live.models import Room, RoomAssistant, RoomCoupon, RoomMessage, RoomState
from circlemart.live.selectors import rooms as selectors
from circlemart.live.services import deals
from circlemart.moderation import services as moderation
from circlemart.moderation import wordfilter
from circlemart.promotions.coupons.models import CouponTemplate, UserCoupon
from circlemart.promotions.flash import selectors as flash_selectors
from tests.live.factories import (
    RoomFactory,
    RoomProductFactory,
    UserFactory,
    ViewerSessionFactory,
    creator,
    live_room,
    merchant_staff,
    product,
    room_with_products,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_word_matcher() -> Iterator[None]:
    wordfilter._current = None
    yield
    wordfilter._current = None


def _error(call: Callable[[], Any], kind: type[Exception]) -> Any:
    with pytest.raises(kind) as caught:
        call()
    return caught.value


def _messages(room: Room) -> list[tuple[int, str, dict[str, Any]]]:
    return list(RoomMessage.objects.filter(room=room).values_list("sequence", "kind", "payload"))


# --- pinning --------------------------------------------------------------------------------


def test_pinning_pushes_the_product_card() -> None:
    room, (first, _second) = room_with_products(2, live=True)

    deals.room_pin_product(actor_id=room.host_id, room_id=room.pk, product_id=first.pk)

    room.refresh_from_db()
    assert room.pinned_product_id == first.pk
    assert room.pinned_at is not None
    [(seq, kind, payload)] = _messages(room)
    assert (seq, kind) == (1, "pin")
    assert payload["product"] == {
        "product_id": first.pk,
        "title": "直播好物 0",
        "image_url": "",
        "price": 19900,
        "currency": "CNY",
        "price_display": "¥199.00",
        "url": f"/p/{first.pk}/",
        "in_stock": True,
    }


def test_unpinning_pushes_an_empty_card() -> None:
    room, (first, _second) = room_with_products(2, live=True)
    deals.room_pin_product(actor_id=room.host_id, room_id=room.pk, product_id=first.pk)

    deals.room_pin_product(actor_id=room.host_id, room_id=room.pk, product_id=None)

    room.refresh_from_db()
    assert (room.pinned_product_id, room.pinned_at) == (None, None)
    assert _messages(room)[-1] == (2, "pin", {"product": None})


def test_a_product_outside_the_room_cannot_be_pinned() -> None:
    room, _products = room_with_products(1, live=True)
    other = product()
    error = _error(
        lambda: deals.room_pin_product(actor_id=room.host_id, room_id=room.pk, product_id=other.pk),
        ValidationFailed,
    )
    assert (error.code, error.field) == ("product_not_in_room", "product_id")
    assert _messages(room) == []


def test_pinning_needs_a_room_on_air_and_its_host() -> None:
    scheduled, (item,) = room_with_products(1)
    error = _error(
        lambda: deals.room_pin_product(
            actor_id=scheduled.host_id, room_id=scheduled.pk, product_id=item.pk
        ),
        Conflict,
    )
    assert error.code == "room_not_live"

    live, (item,) = room_with_products(1, live=True)
    assistant = UserFactory()
    RoomAssistant.objects.create(room=live, user=assistant)
    error = _error(
        lambda: deals.room_pin_product(actor_id=assistant.pk, room_id=live.pk, product_id=item.pk),
        PermissionDenied,
    )
    assert error.code == "not_room_host"
    assert RoomMessage.objects.count() == 0


# --- live coupons ---------------------------------------------------------------------------


def _coupon(room: Room, quantity: int = 10, **fields: Any) -> int:
    values: dict[str, Any] = {"name": "直播专享券", "amount": 1000, "min_spend": 0}
    values.update(fields)
    return deals.room_coupon_create(
        actor_id=room.host_id, room_id=room.pk, quantity=quantity, **values
    )


def test_a_live_coupon_is_a_hidden_campaign_of_the_room() -> None:
    room = live_room()

    template_id = _coupon(room, quantity=30, min_spend=5000)

    template = CouponTemplate.objects.get(pk=template_id)
    assert (template.is_public, template.total_quantity, template.per_user_limit) == (
        False,
        30,
        1,
    )
    assert (template.kind, template.amount, template.min_spend, template.valid_days) == (
        "threshold",
        1000,
        5000,
        7,
    )
    row = RoomCoupon.objects.get(room=room)
    assert (row.coupon_template_id, row.dropped_at) == (template_id, None)
    # Not dropped yet: viewers do not see it.
    assert selectors.room_detail(room_id=room.pk, viewer_id=None).coupons == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "券" * 61}, "name"),
        ({"amount": 0}, "amount"),
        ({"amount": 1000, "min_spend": 500}, "min_spend"),
        ({"quantity": 0}, "quantity"),
        ({"valid_days": 0}, "valid_days"),
    ],
)
def test_bad_coupons_are_refused(fields: dict[str, Any], field: str) -> None:
    room = live_room()
    values: dict[str, Any] = {"name": "券", "amount": 1000, "min_spend": 0, "quantity": 5}
    values.update(fields)
    error = _error(
        lambda: deals.room_coupon_create(actor_id=room.host_id, room_id=room.pk, **values),
        ValidationFailed,
    )
    assert (error.code, error.field) == ("invalid_coupon", field)
    assert CouponTemplate.objects.count() == 0


def test_dropping_a_coupon_broadcasts_it_and_viewers_claim_it() -> None:
    room = live_room()
    template_id = _coupon(room, quantity=2)
    viewer = UserFactory()

    deals.room_coupon_drop(actor_id=room.host_id, room_id=room.pk, coupon_template_id=template_id)
    ref = deals.room_coupon_claim(
        user_id=viewer.pk, room_id=room.pk, coupon_template_id=template_id
    )

    [(_seq, kind, payload)] = _messages(room)
    assert kind == "coupon"
    assert payload == {
        "coupon": {
            "template_id": template_id,
            "name": "直播专享券",
            "amount": 1000,
            "min_spend": 0,
            "remaining": 2,
            "quantity": 2,
        }
    }
    assert (ref.template_id, ref.status) == (template_id, "available")
    assert UserCoupon.objects.get(owner=viewer).template_id == template_id
    seen = selectors.room_detail(room_id=room.pk, viewer_id=viewer.pk).coupons
    assert [(c.template_id, c.remaining, c.claimed) for c in seen] == [(template_id, 1, True)]
    other = selectors.room_detail(room_id=room.pk, viewer_id=None).coupons
    assert [(c.template_id, c.claimed) for c in other] == [(template_id, False)]


def test_claims_are_refused_with_clear_codes() -> None:
    room = live_room()
    template_id = _coupon(room, quantity=2)
    viewer, second, third = UserFactory(), UserFactory(), UserFactory()

    def claim(user_id: int) -> Any:
        return deals.room_coupon_claim(
            user_id=user_id, room_id=room.pk, coupon_template_id=template_id
        )

    error = _error(lambda: claim(viewer.pk), Conflict)
    assert error.code == "coupon_not_dropped"

    deals.room_coupon_drop(actor_id=room.host_id, room_id=room.pk, coupon_template_id=template_id)
    claim(viewer.pk)
    assert _error(lambda: claim(viewer.pk), Conflict).code == "coupon_claim_limit"
    claim(second.pk)
    assert _error(lambda: claim(third.pk), Conflict).code == "coupon_sold_out"

    other_room = live_room()
    error = _error(
        lambda: deals.room_coupon_claim(
            user_id=third.pk, room_id=other_room.pk, coupon_template_id=template_id
        ),
        NotFound,
    )
    assert error.code == "coupon_not_in_room"

    Room.objects.filter(pk=room.pk).update(state=RoomState.ENDED)
    error = _error(
        lambda: deals.room_coupon_claim(
            user_id=third.pk, room_id=room.pk, coupon_template_id=template_id
        ),
        Conflict,
    )
    assert error.code == "room_not_live"
    assert UserCoupon.objects.count() == 2
    assert CouponTemplate.objects.get(pk=template_id).claimed_count == 2


def test_an_unknown_room_is_not_found_when_claiming() -> None:
    error = _error(
        lambda: deals.room_coupon_claim(
            user_id=UserFactory().pk, room_id=987654, coupon_template_id=1
        ),
        NotFound,
    )
    assert error.code == "room_not_found"


def test_a_coupon_is_dropped_only_in_a_live_room_by_its_host() -> None:
    room = live_room()
    template_id = _coupon(room)
    stranger = UserFactory()
    error = _error(
        lambda: deals.room_coupon_drop(
            actor_id=stranger.pk, room_id=room.pk, coupon_template_id=template_id
        ),
        PermissionDenied,
    )
    assert error.code == "not_room_host"
    Room.objects.filter(pk=room.pk).update(state=RoomState.PAUSED)
    error = _error(
        lambda: deals.room_coupon_drop(
            actor_id=room.host_id, room_id=room.pk, coupon_template_id=template_id
        ),
        Conflict,
    )
    assert error.code == "room_not_live"
    assert RoomCoupon.objects.get(room=room).dropped_at is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_viewers_racing_for_ten_coupons_get_exactly_ten() -> None:
    room = live_room()
    template_id = _coupon(room, quantity=10)
    deals.room_coupon_drop(actor_id=room.host_id, room_id=room.pk, coupon_template_id=template_id)
    viewers = [UserFactory().pk for _ in range(20)]
    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(viewers))

    def claim(user_id: int) -> None:
        try:
            barrier.wait()
            try:
                deals.room_coupon_claim(
                    user_id=user_id, room_id=room.pk, coupon_template_id=template_id
                )
                outcome = "claimed"
            except DomainError as error:
                outcome = error.code
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user_id,)) for user_id in viewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["claimed"] * 10 + ["coupon_sold_out"] * 10
    assert UserCoupon.objects.filter(template_id=template_id).count() == 10
    assert len(set(UserCoupon.objects.values_list("owner_id", flat=True))) == 10
    assert CouponTemplate.objects.get(pk=template_id).claimed_count == 10


# --- flash deals ----------------------------------------------------------------------------


def test_an_in_room_flash_deal_reuses_the_flash_machinery() -> None:
    room, (item, _other) = room_with_products(2, live=True)
    sku = item.skus.get()

    item_id = deals.room_flash_start(
        actor_id=room.host_id,
        room_id=room.pk,
        product_id=item.pk,
        sku_id=sku.pk,
        price=9900,
        quantity=5,
        minutes=10,
    )

    offer = flash_selectors.flash_offer(item_id)
    assert offer is not None
    assert (offer.sku_id, offer.flash_price, offer.flash_stock, offer.is_live) == (
        sku.pk,
        9900,
        5,
        True,
    )
    assert offer.ends_at - offer.starts_at == timedelta(minutes=10)
    [(_seq, kind, payload)] = _messages(room)
    assert kind == "flash"
    flash = payload["item"]
    assert (flash["item_id"], flash["product_id"], flash["sku_id"]) == (item_id, item.pk, sku.pk)
    assert (flash["price"], flash["list_price"], flash["quantity"], flash["remaining"]) == (
        9900,
        19900,
        5,
        5,
    )


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"price": 19900}, "invalid_flash_price", "price"),
        ({"price": 0}, "invalid_flash_price", "price"),
        ({"minutes": 0}, "invalid_flash", "minutes"),
        ({"minutes": 181}, "invalid_flash", "minutes"),
        ({"quantity": 0}, "invalid_flash", "quantity"),
        ({"sku_id": "other"}, "sku_not_in_room", "sku_id"),
        ({"product_id": "outside"}, "product_not_in_room", "product_id"),
    ],
)
def test_bad_flash_deals_are_refused(change: dict[str, Any], code: str, field: str) -> None:
    room, (item, other) = room_with_products(2, live=True)
    values: dict[str, Any] = {
        "product_id": item.pk,
        "sku_id": item.skus.get().pk,
        "price": 9900,
        "quantity": 5,
        "minutes": 10,
    }
    values.update(change)
    if values["sku_id"] == "other":
        values["sku_id"] = other.skus.get().pk
    if values["product_id"] == "outside":
        values["product_id"] = product().pk

    error = _error(
        lambda: deals.room_flash_start(actor_id=room.host_id, room_id=room.pk, **values),
        ValidationFailed,
    )
    assert (error.code, error.field) == (code, field)
    assert _messages(room) == []


# --- announcements --------------------------------------------------------------------------


def test_an_assistant_announces_and_masked_words_are_starred() -> None:
    moderation.word_upsert(word="微信", category="spam", action="mask")
    room = live_room()
    assistant = UserFactory()
    RoomAssistant.objects.create(room=room, user=assistant)

    deals.room_announce(actor_id=assistant.pk, room_id=room.pk, text=" 加微信领券 ")

    assert _messages(room) == [(1, "announcement", {"text": "加**领券"})]
    assert RoomMessage.objects.get(room=room).user_id == assistant.pk


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "invalid_announcement"),
        ("字" * 201, "invalid_announcement"),
        ("卖违禁品", "sensitive_content"),
    ],
)
def test_bad_announcements_are_refused(text: str, code: str) -> None:
    moderation.word_upsert(word="违禁品", category="other", action="block")
    room = live_room()
    error = _error(
        lambda: deals.room_announce(actor_id=room.host_id, room_id=room.pk, text=text),
        ValidationFailed,
    )
    assert (error.code, error.field) == (code, "text")
    assert _messages(room) == []


def test_an_announcement_of_200_characters_is_accepted() -> None:
    room = live_room()
    deals.room_announce(actor_id=room.host_id, room_id=room.pk, text="字" * 200)
    assert _messages(room)[0][2] == {"text": "字" * 200}


def test_viewers_cannot_announce_and_a_room_off_air_refuses() -> None:
    room = live_room()
    error = _error(
        lambda: deals.room_announce(actor_id=UserFactory().pk, room_id=room.pk, text="hi"),
        PermissionDenied,
    )
    assert error.code == "not_room_moderator"
    scheduled = RoomFactory()
    error = _error(
        lambda: deals.room_announce(actor_id=scheduled.host_id, room_id=scheduled.pk, text="hi"),
        Conflict,
    )
    assert error.code == "room_not_live"
    assert RoomMessage.objects.count() == 0


# --- reads ----------------------------------------------------------------------------------


def test_room_roles() -> None:
    room = RoomFactory()
    assistant, viewer, staff = UserFactory(), UserFactory(), merchant_staff()
    RoomAssistant.objects.create(room=room, user=assistant)
    roles = [
        selectors.room_role(room_id=room.pk, user_id=user_id)
        for user_id in (room.host_id, assistant.pk, staff.pk, viewer.pk, None)
    ]
    assert roles == ["host", "assistant", "staff", "viewer", "anonymous"]
    with pytest.raises(NotFound):
        selectors.room_role(room_id=987654, user_id=viewer.pk)


def test_room_detail_shows_management_data_only_to_moderators() -> None:
    room, (first, second) = room_with_products(2, live=True)
    assistant = UserFactory()
    RoomAssistant.objects.create(room=room, user=assistant)
    Room.objects.filter(pk=room.pk).update(pinned_product_id=second.pk, like_count=7)
    ViewerSessionFactory(room=room)
    ViewerSessionFactory(room=room, left_at=clock.now())

    host_view = selectors.room_detail(room_id=room.pk, viewer_id=room.host_id)
    viewer_view = selectors.room_detail(room_id=room.pk, viewer_id=UserFactory().pk)

    assert host_view.assistant_ids == [assistant.pk]
    assert viewer_view.assistant_ids == []
    assert (viewer_view.role, host_view.role) == ("viewer", "host")
    assert [card.product_id for card in viewer_view.products] == [first.pk, second.pk]
    assert viewer_view.pinned_product is not None
    assert viewer_view.pinned_product.product_id == second.pk
    assert (viewer_view.like_count, viewer_view.viewers, viewer_view.state) == (7, 1, "live")
    assert viewer_view.host.id == room.host_id


def test_room_detail_of_an_unknown_room_is_not_found() -> None:
    error = _error(lambda: selectors.room_detail(room_id=987654, viewer_id=None), NotFound)
    assert error.code == "room_not_found"


def test_room_lists_by_section() -> None:
    quiet = live_room()
    busy = live_room()
    for _ in range(3):
        ViewerSessionFactory(room=busy)
    paused = RoomFactory(paused=True)
    soon = RoomFactory(scheduled_start=clock.now() + timedelta(hours=1))
    sooner = RoomFactory(scheduled_start=clock.now() + timedelta(minutes=30))
    old = RoomFactory(replay=True, ended_at=clock.now() - timedelta(days=2))
    recent = RoomFactory(replay=True, ended_at=clock.now() - timedelta(hours=1))
    RoomFactory(ended=True)  # ended without a replay: in no list

    live = selectors.rooms_list(section="live")
    assert live[0].id == busy.pk
    assert {card.id for card in live} == {quiet.pk, busy.pk, paused.pk}
    assert live[0].viewers == 3
    assert [card.id for card in selectors.rooms_list(section="upcoming")] == [sooner.pk, soon.pk]
    assert [card.id for card in selectors.rooms_list(section="replay")] == [recent.pk, old.pk]
    assert [card.id for card in selectors.rooms_list(section="upcoming", host_id=soon.host_id)] == [
        soon.pk
    ]


def test_host_rooms_put_live_first() -> None:
    host = creator()
    past = RoomFactory(host=host, replay=True)
    upcoming = RoomFactory(host=host)
    on_air = RoomFactory(host=host, live=True)
    RoomFactory()  # someone else's

    assert [card.id for card in selectors.host_rooms(host_id=host.pk)] == [
        on_air.pk,
        upcoming.pk,
        past.pk,
    ]


def test_message_log_after_a_sequence_number_hides_deleted_text() -> None:
    room, (item,) = room_with_products(1, live=True)
    deals.room_announce(actor_id=room.host_id, room_id=room.pk, text="一")
    deals.room_announce(actor_id=room.host_id, room_id=room.pk, text="二")
    deals.room_pin_product(actor_id=room.host_id, room_id=room.pk, product_id=item.pk)
    RoomMessage.objects.filter(room=room, sequence=2).update(is_deleted=True)

    log = selectors.room_messages(room_id=room.pk, after_seq=1)

    assert [(m.seq, m.type) for m in log] == [(2, "announcement"), (3, "pin")]
    assert log[0].data == {"text": "", "deleted": True}


def test_room_product_factory_is_usable_by_others() -> None:
    row = RoomProductFactory()
    assert selectors.room_product_ids(row.room_id) == [row.product_id]


def test_room_detail_and_lists_read_in_a_fixed_number_of_queries(
    django_assert_num_queries: Callable[..., Any],
) -> None:
    room, _products = room_with_products(5, live=True)
    for _ in range(3):
        template_id = _coupon(room)
        deals.room_coupon_drop(
            actor_id=room.host_id, room_id=room.pk, coupon_template_id=template_id
        )
    viewer = UserFactory()
    for _ in range(4):
        ViewerSessionFactory(room=live_room())

    # room, products (ids, cards), host, coupons (rows, campaigns), viewers; a signed-in viewer
    # adds the role (assistant?, staff?) and what they hold.
    with django_assert_num_queries(7):
        anonymous = selectors.room_detail(room_id=room.pk, viewer_id=None)
    with django_assert_num_queries(10):
        signed_in = selectors.room_detail(room_id=room.pk, viewer_id=viewer.pk)
    with django_assert_num_queries(3):
        cards = selectors.rooms_list(section="live")

    assert (len(anonymous.products), len(anonymous.coupons)) == (5, 3)
    assert (len(signed_in.products), len(signed_in.coupons)) == (5, 3)
    assert len(cards) == 5
