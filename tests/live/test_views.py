"""The shopper's live pages: the room list, the room in each state for visitors and members,
the buy sheet (bad input answered in the sheet, the order attributed to the room), coupon
claims, "remind me", the replay with its chat log, and the links that lead to them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from circlemart.core import clock
from circlemart.live.models import RoomMessage, RoomState
from circlemart.live.services import deals
from circlemart.orders.models import Order
from circlemart.payments.models import Payment
from circlemart.promotions.coupons.models import UserCoupon
from circlemart.social.models import Follow
from tests.accounts.factories import UserFactory
from tests.live.factories import RoomFactory, RoomMessageFactory, live_room, room_with_products
from tests.orders.conftest import make_buyer

pytestmark = pytest.mark.django_db

STATES = ["scheduled", "live", "paused", "ended", "replay"]


@pytest.fixture(autouse=True)
def _test_payments(settings: Any) -> None:
    settings.PAYMENTS_TEST_MODE = True
    settings.PAYMENT_PROVIDERS = ["test_gateway"]
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "in_process"
    settings.LIVE_WEBSOCKET_URL = ""


def browser(user: Any = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def html_of(response: Any) -> str:
    return response.content.decode()


# ---- the list ----


def test_the_list_shows_each_section_with_its_cards() -> None:
    on_air = live_room(title="Winter jackets live")
    soon = RoomFactory(
        title="Tea tasting", scheduled_start=clock.now() + timedelta(hours=2, minutes=5)
    )
    over = RoomFactory(replay=True, title="Last week's sale")

    live_page = html_of(browser().get("/live/"))
    assert 'data-testid="live-rooms-live"' in live_page
    assert "Winter jackets live" in live_page
    assert f'href="/live/{on_air.pk}/"' in live_page
    assert "Tea tasting" not in live_page

    upcoming = html_of(browser().get("/live/?tab=upcoming"))
    assert "Tea tasting" in upcoming
    assert "starts in 2 h" in upcoming
    assert f'href="/live/{soon.pk}/"' in upcoming

    replays = html_of(browser().get("/live/?tab=replay"))
    assert "Last week&#x27;s sale" in replays
    assert f'href="/live/{over.pk}/replay/"' in replays


def test_an_empty_list_tells_what_to_do() -> None:
    page = html_of(browser().get("/live/"))
    assert 'data-testid="live-empty"' in page
    assert "Nobody is live right now." in page
    assert 'href="?tab=upcoming"' in page
    assert "No replays yet." in html_of(browser().get("/live/?tab=replay"))


def test_the_list_opens_on_the_first_section_with_rooms() -> None:
    RoomFactory(title="Only upcoming")
    page = html_of(browser().get("/live/"))
    assert 'data-testid="live-rooms-upcoming"' in page
    assert "Only upcoming" in page


def test_the_list_is_in_chinese_by_default() -> None:
    page = Client().get("/live/").content.decode()
    assert '<html lang="zh-hans">' in page


# ---- the room in each state ----


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("signed_in", [False, True])
def test_the_room_renders_in_every_state(state: str, signed_in: bool) -> None:
    room, _products = room_with_products(2, **{state: True} if state != "scheduled" else {})
    user = UserFactory() if signed_in else None
    response = browser(user).get(f"/live/{room.pk}/")
    assert response.status_code == 200
    page = html_of(response)
    assert f'data-state="{state}"' in page
    assert f'data-ws-url="/ws/live/{room.pk}/"' in page
    assert page.count('data-testid="live-product"') == 2
    assert f'data-sheet-url="/live/{room.pk}/sheet/0/"' in page
    if signed_in:
        assert 'data-testid="live-chat-form"' in page
        assert 'data-testid="live-sign-in"' not in page
    else:
        assert 'data-testid="live-sign-in"' in page
        assert 'data-testid="live-chat-form"' not in page
    if state == "scheduled":
        assert 'data-testid="live-countdown"' in page
        assert 'data-testid="live-remind"' in page
        assert 'data-testid="live-video"' not in page
    else:
        assert 'data-testid="live-video"' in page
        assert 'data-src="https://media.example.com/live/stream.m3u8"' in page
    ended_curtain = page.split('data-testid="live-ended"', 1)[1].split(">", 1)[0]
    assert ("hidden" in ended_curtain) == (state not in {"ended", "replay"})


def test_the_room_allows_its_websocket_server_in_its_policy(settings: Any) -> None:
    settings.LIVE_WEBSOCKET_URL = "ws://127.0.0.1:8001"
    room = live_room()
    response = browser().get(f"/live/{room.pk}/")
    policy = response["Content-Security-Policy"]
    assert "connect-src 'self' ws://127.0.0.1:8001 " in policy
    assert "media-src 'self' https: blob:;" in policy
    assert f'data-ws-url="ws://127.0.0.1:8001/ws/live/{room.pk}/"' in html_of(response)


def test_a_new_viewer_catches_up_on_the_last_messages() -> None:
    room = live_room()
    for _index in range(35):
        RoomMessageFactory(room=room)
    page = html_of(browser().get(f"/live/{room.pk}/"))
    assert 'data-last-seq="5"' in page  # the socket replays 6..35


def test_the_pinned_product_floats_over_the_video() -> None:
    room, products = room_with_products(2, live=True)
    room.pinned_product_id = products[1].pk
    room.save(update_fields=["pinned_product_id"])
    page = html_of(browser().get(f"/live/{room.pk}/"))
    assert page.count('data-testid="live-pinned"') == 1
    assert f'data-buy="{products[1].pk}" data-testid="live-pinned"' in page


def test_an_unknown_room_is_a_404_page() -> None:
    for address in ("/live/999999/", "/live/999999/replay/", "/live/999999/sheet/1/"):
        response = browser().get(address)
        assert response.status_code == 404, address


def test_the_replay_shows_the_chat_in_time_with_the_video() -> None:
    started = clock.now() - timedelta(hours=2)
    room = RoomFactory(replay=True, started_at=started)
    first = RoomMessageFactory(room=room)
    second = RoomMessageFactory(
        room=room,
        payload={
            "user": {"id": 1, "name": "小林", "avatar_url": ""},
            "text": "好看",
            "masked": False,
        },
    )
    RoomMessage.objects.filter(pk=first.pk).update(created_at=started + timedelta(seconds=30))
    RoomMessage.objects.filter(pk=second.pk).update(
        created_at=started + timedelta(minutes=2, seconds=5)
    )
    gone = RoomMessageFactory(room=room, is_deleted=True)
    page = html_of(browser().get(f"/live/{room.pk}/replay/"))
    assert 'data-src="https://media.example.com/replay/room.mp4"' in page
    assert page.count('data-testid="live-replay-message"') == 2
    assert '<li data-offset="30" data-testid="live-replay-message"><time>0:30</time>' in page
    assert '<li data-offset="125" data-testid="live-replay-message"><time>2:05</time>' in page
    assert gone.sequence == 3


def test_a_room_still_on_air_has_no_replay() -> None:
    room = live_room()
    assert browser().get(f"/live/{room.pk}/replay/").status_code == 404


# ---- remind me ----


def test_remind_me_follows_the_host() -> None:
    room = RoomFactory()
    viewer = UserFactory()
    response = browser(viewer).post(f"/live/{room.pk}/remind/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-testid="live-reminded"' in html_of(response)
    assert Follow.objects.filter(follower=viewer, followee=room.host).count() == 1
    again = html_of(browser(viewer).get(f"/live/{room.pk}/"))
    assert 'data-testid="live-reminded"' in again


def test_remind_me_asks_a_visitor_to_sign_in() -> None:
    room = RoomFactory()
    response = browser().post(f"/live/{room.pk}/remind/")
    assert response.status_code == 401
    assert f"/accounts/login/?next=%2Flive%2F{room.pk}%2F" in html_of(response)
    assert Follow.objects.count() == 0


# ---- the buy sheet ----


def test_the_sheet_offers_skus_quantity_address_and_the_total() -> None:
    room, products = room_with_products(1, live=True)
    buyer, address_id = make_buyer()
    response = browser(buyer).get(
        f"/live/{room.pk}/sheet/{products[0].pk}/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    page = html_of(response)
    assert 'data-testid="live-sheet-form"' in page
    assert f'<input type="hidden" name="address_id" value="{address_id}">' in page
    assert 'data-testid="total"' in page
    assert 'data-testid="live-pay"' in page
    assert "Pay CN¥199.00" in page


def test_a_visitor_sees_the_sheet_with_sign_in_to_buy() -> None:
    room, products = room_with_products(1, live=True)
    page = html_of(browser().get(f"/live/{room.pk}/sheet/{products[0].pk}/"))
    assert 'data-testid="live-sheet-sign-in"' in page
    assert 'data-testid="live-pay"' not in page


def test_a_buyer_without_an_address_is_asked_to_add_one() -> None:
    room, products = room_with_products(1, live=True)
    page = html_of(browser(UserFactory()).get(f"/live/{room.pk}/sheet/{products[0].pk}/"))
    assert 'data-testid="live-add-address"' in page
    assert "/accounts/addresses/?next=%2Flive%2F" in page
    assert 'data-testid="live-pay" disabled' in page


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"quantity": "0"}, 400, "Choose a quantity from 1 to 99."),
        ({"quantity": "abc"}, 400, "Choose a quantity from 1 to 99."),
        ({"quantity": "100"}, 400, "Choose a quantity from 1 to 99."),
        ({"sku_id": "999999"}, 400, "Choose one of the options shown."),
        ({"quantity": "11"}, 409, None),  # more than the 10 in stock: the order service says so
    ],
)
def test_bad_input_is_answered_in_the_sheet(
    data: dict[str, str], status: int, message: str | None
) -> None:
    room, products = room_with_products(1, live=True)
    buyer, _address_id = make_buyer()
    response = browser(buyer).post(
        f"/live/{room.pk}/sheet/{products[0].pk}/", data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == status
    page = html_of(response)
    assert 'data-testid="live-sheet-error"' in page
    if message:
        assert message in page
    assert Order.objects.count() == 0


def test_a_product_not_in_the_room_is_refused_in_the_sheet() -> None:
    room, _products = room_with_products(1, live=True)
    other, _others = room_with_products(1, live=True)
    response = browser(UserFactory()).get(f"/live/{room.pk}/sheet/{_others[0].pk}/")
    assert response.status_code == 404
    assert "This product is not sold in this room." in html_of(response)
    assert other.pk != room.pk


def test_buying_in_the_room_places_an_order_attributed_to_the_room() -> None:
    room, products = room_with_products(1, live=True)
    buyer, address_id = make_buyer()
    client = browser(buyer)
    sheet = html_of(client.get(f"/live/{room.pk}/sheet/{products[0].pk}/"))
    token = sheet.split('name="checkout_token" value="', 1)[1].split('"', 1)[0]
    sku_id = products[0].skus.get().pk
    response = client.post(
        f"/live/{room.pk}/sheet/{products[0].pk}/",
        {"checkout_token": token, "sku_id": sku_id, "quantity": "2", "address_id": address_id},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    order = Order.objects.get()
    assert order.attribution == {"source": f"live:{room.pk}"}
    assert order.buyer_id == buyer.pk
    assert [(line.sku_id, line.quantity) for line in order.lines.all()] == [(sku_id, 2)]
    payment = Payment.objects.get(order_number=order.number)
    assert payment.return_url == f"/live/{room.pk}/?order={order.number}"
    assert response["HX-Redirect"].startswith("/payments/test-gateway/pay/")
    # The same token again (a double tap) is the same order.
    client.post(
        f"/live/{room.pk}/sheet/{products[0].pk}/",
        {"checkout_token": token, "sku_id": sku_id, "quantity": "2", "address_id": address_id},
        HTTP_HX_REQUEST="true",
    )
    assert Order.objects.count() == 1
    # Back in the room, the sheet shows the order waiting for the payment.
    page = html_of(client.get(f"/live/{room.pk}/?order={order.number}"))
    assert f'data-order-url="/live/{room.pk}/orders/{order.number}/"' in page
    status = html_of(client.get(f"/live/{room.pk}/orders/{order.number}/"))
    assert 'data-status="pending_payment"' in status
    assert 'hx-trigger="every 2s"' in status


def test_the_order_status_shows_paid_once_paid() -> None:
    room, products = room_with_products(1, live=True)
    buyer, address_id = make_buyer()
    client = browser(buyer)
    client.post(
        f"/live/{room.pk}/sheet/{products[0].pk}/",
        {
            "checkout_token": "tok-1",
            "sku_id": products[0].skus.get().pk,
            "quantity": "1",
            "address_id": address_id,
        },
    )
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(status="paid")
    status = html_of(client.get(f"/live/{room.pk}/orders/{order.number}/"))
    assert 'data-testid="live-paid"' in status
    assert "every 2s" not in status


def test_someone_elses_order_is_not_found() -> None:
    room, products = room_with_products(1, live=True)
    buyer, address_id = make_buyer()
    browser(buyer).post(
        f"/live/{room.pk}/sheet/{products[0].pk}/",
        {
            "checkout_token": "tok-2",
            "sku_id": products[0].skus.get().pk,
            "quantity": "1",
            "address_id": address_id,
        },
    )
    order = Order.objects.get()
    response = browser(UserFactory()).get(f"/live/{room.pk}/orders/{order.number}/")
    assert response.status_code == 404
    assert order.number not in html_of(response)


# ---- coupons ----


def _dropped_coupon(room: Any, quantity: int = 1) -> int:
    template_id = deals.room_coupon_create(
        actor_id=room.host_id,
        room_id=room.pk,
        name="Live 10 off",
        amount=1000,
        min_spend=5000,
        quantity=quantity,
    )
    deals.room_coupon_drop(actor_id=room.host_id, room_id=room.pk, coupon_template_id=template_id)
    return template_id


def test_claiming_a_live_coupon() -> None:
    room = live_room(products=1)
    template_id = _dropped_coupon(room, quantity=1)
    viewer = UserFactory()
    response = browser(viewer).post(
        f"/live/{room.pk}/coupons/{template_id}/claim/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'data-claimed="1"' in html_of(response)
    assert UserCoupon.objects.filter(owner=viewer, template_id=template_id).count() == 1

    late = browser(UserFactory()).post(f"/live/{room.pk}/coupons/{template_id}/claim/")
    assert late.status_code == 409
    assert 'data-testid="live-claim-result"' in html_of(late)
    assert UserCoupon.objects.filter(template_id=template_id).count() == 1


def test_a_visitor_is_asked_to_sign_in_to_claim() -> None:
    room = live_room()
    template_id = _dropped_coupon(room)
    response = browser().post(f"/live/{room.pk}/coupons/{template_id}/claim/")
    assert response.status_code == 401
    assert "Sign in to claim" in html_of(response)
    assert UserCoupon.objects.count() == 0


def test_a_coupon_of_another_room_cannot_be_claimed_here() -> None:
    room, other = live_room(), live_room()
    template_id = _dropped_coupon(other)
    response = browser(UserFactory()).post(f"/live/{room.pk}/coupons/{template_id}/claim/")
    assert response.status_code == 404
    assert UserCoupon.objects.count() == 0


def test_claims_need_a_post() -> None:
    room = live_room()
    assert browser(UserFactory()).get(f"/live/{room.pk}/coupons/1/claim/").status_code == 405


# ---- reachability ----


def test_the_home_page_leads_to_the_live_rooms() -> None:
    page = html_of(browser().get("/"))
    assert 'data-testid="activity-live"' in page
    assert 'href="/live/"' in page
    assert 'hx-get="/live/strip/"' in page


def test_the_live_now_strip_lists_rooms_on_air_only() -> None:
    assert html_of(browser().get("/live/strip/")).strip() == ""
    room = live_room(title="On air now")
    RoomFactory(title="Not yet")
    strip = html_of(browser().get("/live/strip/"))
    assert 'data-testid="live-strip"' in strip
    assert "On air now" in strip
    assert "Not yet" not in strip
    assert f'href="/live/{room.pk}/"' in strip


def test_a_creator_profile_lists_their_rooms() -> None:
    room = live_room(title="My live")
    RoomFactory(host=room.host, title="My next live")
    RoomFactory(title="Someone else's")
    profile = html_of(browser().get(f"/u/{room.host_id}/"))
    assert f'hx-get="/live/u/{room.host_id}/rooms/"' in profile
    section = html_of(browser().get(f"/live/u/{room.host_id}/rooms/"))
    assert 'data-testid="profile-live-live"' in section
    assert 'data-testid="profile-live-upcoming"' in section
    assert "My next live" in section
    assert "Someone else" not in section


def test_rooms_are_linked_from_the_header_and_the_me_hub() -> None:
    page = html_of(browser(UserFactory()).get("/accounts/profile/"))
    assert 'data-testid="nav-live"' in page
    assert 'data-testid="me-live"' in page


def test_the_room_is_in_chinese_by_default_and_english_on_request() -> None:
    room = RoomFactory(state=RoomState.SCHEDULED)
    chinese = Client().get(f"/live/{room.pk}/").content.decode()
    english = browser().get(f"/live/{room.pk}/").content.decode()
    assert '<html lang="zh-hans">' in chinese
    assert '<html lang="en">' in english
    assert "Remind me" in english


def test_the_room_page_reads_a_fixed_number_of_queries(django_assert_num_queries: Any) -> None:
    """Room, its product ids, the products, the host, its coupons, the viewer count: six,
    however many products the room shows (no N+1)."""
    for count in (1, 6):
        room, _products = room_with_products(count, live=True)
        with django_assert_num_queries(6):
            assert browser().get(f"/live/{room.pk}/").status_code == 200
