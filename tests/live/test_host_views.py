"""The host's pages: schedule a room, the host's rooms, and the console with each of its actions,
for the host, an assistant, another user (refused, nothing changed) and an anonymous visitor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from circlemart.core import clock
from circlemart.live.models import (
    Room,
    RoomAssistant,
    RoomCoupon,
    RoomMessage,
    RoomProduct,
    RoomState,
    RoomTransition,
)
from circlemart.live.services import deals as deal_services
from tests.live.factories import (
    RoomAssistantFactory,
    RoomFactory,
    RoomMessageFactory,
    RoomOrderFactory,
    UserFactory,
    creator,
    merchant_staff,
    product,
    room_with_products,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the messages asserted are the English ones
    client.force_login(user)
    return client


def console(room: Room) -> str:
    return reverse("live_host:console", kwargs={"room_id": room.pk})


def action(room: Room, name: str, **kwargs: Any) -> str:
    return reverse(f"live_host:{name}", kwargs={"room_id": room.pk, **kwargs})


def start_value(days: int = 1) -> str:
    moment = clock.now().astimezone() + timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M")


def text_of(response: Any) -> str:
    return response.content.decode()


# --- Anonymous visitors are sent to sign in ---------------------------------------------------


@pytest.mark.parametrize("name", ["live_host:new", "live_host:mine"])
def test_anonymous_pages_go_to_sign_in(name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_console_and_actions_go_to_sign_in() -> None:
    room, _products = room_with_products(1)
    client = Client()
    response = client.get(console(room))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(action(room, "state"), {"action": "start"})
    assert response.status_code == 302
    room.refresh_from_db()
    assert room.state == RoomState.SCHEDULED
    assert not RoomTransition.objects.filter(room=room).exists()


# --- /live/new/ ----------------------------------------------------------------------------


def test_new_room_form_for_a_creator() -> None:
    response = client_for(creator()).get(reverse("live_host:new"))
    assert response.status_code == 200
    body = text_of(response)
    assert 'data-testid="room-form"' in body
    assert 'name="scheduled_start"' in body
    assert 'type="datetime-local"' in body
    assert reverse("social:product-picker") in body
    assert "HLS (.m3u8) or MP4/WebM" in body


def test_new_room_refused_to_a_user_who_may_not_host() -> None:
    client = client_for(UserFactory())
    response = client.get(reverse("live_host:new"))
    assert response.status_code == 403
    assert "Only creators and merchant staff can host live rooms." in text_of(response)
    response = client.post(
        reverse("live_host:new"), {"title": "我的直播", "scheduled_start": start_value()}
    )
    assert response.status_code == 403
    assert Room.objects.count() == 0


def test_create_room_with_products_and_assistants() -> None:
    host = creator()
    helper = UserFactory(email="helper@example.com")
    first, second = product(title="羽绒服"), product(title="围巾")
    response = client_for(host).post(
        reverse("live_host:new"),
        {
            "title": "冬季新品直播",
            "description": "今晚八点见",
            "scheduled_start": start_value(),
            "video_url": "https://media.example.com/live/winter.m3u8",
            "product_ids": [str(second.pk), str(first.pk)],
            "assistants": "Helper@Example.com\n",
        },
    )
    room = Room.objects.get()
    assert response.status_code == 302
    assert response["Location"] == console(room)
    assert room.host_id == host.pk
    assert room.title == "冬季新品直播"
    assert room.state == RoomState.SCHEDULED
    assert room.video_url == "https://media.example.com/live/winter.m3u8"
    assert list(RoomProduct.objects.filter(room=room).values_list("product_id", flat=True)) == [
        second.pk,
        first.pk,
    ]
    assert list(RoomAssistant.objects.filter(room=room).values_list("user_id", flat=True)) == [
        helper.pk
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"scheduled_start": "tomorrow"}, "scheduled_start", "Enter a valid date/time."),
        ({"video_url": "not a url"}, "video_url", "Enter a valid URL."),
        ({"assistants": "nobody@example.com"}, "assistants", "No account uses nobody@example.com."),
        ({"product_ids": "abc"}, "product_ids", "Choose products from the search."),
    ],
)
def test_create_room_bad_input_is_shown_on_the_form(
    data: dict[str, str], field: str, message: str
) -> None:
    form = {"title": "冬季新品直播", "scheduled_start": start_value(), **data}
    response = client_for(creator()).post(reverse("live_host:new"), form)
    assert response.status_code == 400
    body = text_of(response)
    assert f'data-field="{field}"' in body
    assert message in body
    assert Room.objects.count() == 0


def test_create_room_in_the_past_is_refused_by_the_service() -> None:
    form = {"title": "冬季新品直播", "scheduled_start": start_value(days=-1)}
    response = client_for(creator()).post(reverse("live_host:new"), form)
    assert response.status_code == 400
    assert 'data-field="scheduled_start"' in text_of(response)
    assert Room.objects.count() == 0


# --- /live/mine/ ---------------------------------------------------------------------------


def test_my_rooms_lists_only_mine_grouped_by_state() -> None:
    host = creator()
    upcoming = RoomFactory(host=host, title="下周直播")
    live = RoomFactory(host=host, title="正在直播", live=True)
    ended = RoomFactory(host=host, title="昨天的直播", ended=True)
    RoomFactory(title="别人的直播")
    response = client_for(host).get(reverse("live_host:mine"))
    assert response.status_code == 200
    body = text_of(response)
    assert body.count('data-testid="my-room"') == 3
    assert "别人的直播" not in body
    for room in (upcoming, live, ended):
        assert console(room) in body
    assert body.index("正在直播") < body.index("下周直播") < body.index("昨天的直播")


def test_my_rooms_empty_state() -> None:
    response = client_for(creator()).get(reverse("live_host:mine"))
    assert response.status_code == 200
    assert 'data-testid="no-rooms"' in text_of(response)


# --- The console ---------------------------------------------------------------------------


def test_console_for_the_host() -> None:
    room, _products = room_with_products(2, live=True)
    RoomMessageFactory(room=room, payload={"user": {"id": 1, "name": "小林"}, "text": "好看"})
    response = client_for(room.host).get(console(room))
    assert response.status_code == 200
    body = text_of(response)
    assert body.count('data-testid="console-product"') == 2
    for testid in ("state-pause", "state-end", "coupon-form", "flash-form", "announce-form"):
        assert f'data-testid="{testid}"' in body
    assert "live/live.js" in body
    assert "live/host.js" in body
    room.refresh_from_db()
    assert f'data-last-seq="{room.last_sequence}"' in body
    assert "好看" in body  # the recent chat, handed to the script


def test_console_for_an_assistant_without_state_buttons() -> None:
    room, _products = room_with_products(1)
    assistant = RoomAssistantFactory(room=room).user
    response = client_for(assistant).get(console(room))
    assert response.status_code == 200
    body = text_of(response)
    assert 'data-testid="state-start"' not in body
    assert "Only the host starts, pauses and ends the room." in body


def test_console_for_staff() -> None:
    room, _products = room_with_products(1)
    response = client_for(merchant_staff()).get(console(room))
    assert response.status_code == 200
    assert 'data-testid="state-start"' in text_of(response)


def test_console_refused_to_another_user_and_unknown_room() -> None:
    room, _products = room_with_products(1)
    client = client_for(UserFactory())
    assert client.get(console(room)).status_code == 403
    unknown = reverse("live_host:console", kwargs={"room_id": room.pk + 100})
    assert client_for(room.host).get(unknown).status_code == 404


# --- State -------------------------------------------------------------------------------


def test_host_starts_pauses_resumes_and_ends() -> None:
    room, _products = room_with_products(1)
    client = client_for(room.host)
    for move, state in (
        ("start", RoomState.LIVE),
        ("pause", RoomState.PAUSED),
        ("resume", RoomState.LIVE),
        ("end", RoomState.ENDED),
    ):
        response = client.post(action(room, "state"), {"action": move}, **HTMX)
        assert response.status_code == 200, text_of(response)
        assert 'data-testid="panel-notice"' in text_of(response)
        room.refresh_from_db()
        assert room.state == state
    assert list(RoomTransition.objects.filter(room=room).values_list("to_state", flat=True)) == [
        "live",
        "paused",
        "live",
        "ended",
    ]
    response = client.post(action(room, "state"), {"action": "replay"})
    assert response.status_code == 302
    assert response["Location"] == console(room)
    room.refresh_from_db()
    assert room.state == RoomState.REPLAY


def test_illegal_move_is_shown_and_changes_nothing() -> None:
    room, _products = room_with_products(1)
    response = client_for(room.host).post(action(room, "state"), {"action": "pause"}, **HTMX)
    assert response.status_code == 409
    assert 'data-testid="panel-error"' in text_of(response)
    room.refresh_from_db()
    assert room.state == RoomState.SCHEDULED


def test_unknown_state_action() -> None:
    room, _products = room_with_products(1)
    response = client_for(room.host).post(action(room, "state"), {"action": "explode"}, **HTMX)
    assert response.status_code == 400
    assert "Choose what to do with the room." in text_of(response)


def test_assistant_and_other_user_cannot_move_the_room() -> None:
    room, _products = room_with_products(1)
    assistant = RoomAssistantFactory(room=room).user
    response = client_for(assistant).post(action(room, "state"), {"action": "start"}, **HTMX)
    assert response.status_code == 403
    assert 'data-testid="panel-error"' in text_of(response)
    response = client_for(UserFactory()).post(action(room, "state"), {"action": "start"}, **HTMX)
    assert response.status_code == 403
    room.refresh_from_db()
    assert room.state == RoomState.SCHEDULED
    assert not RoomTransition.objects.filter(room=room).exists()


# --- Pin ---------------------------------------------------------------------------------


def test_host_pins_and_unpins_a_product() -> None:
    room, products = room_with_products(2, live=True)
    client = client_for(room.host)
    response = client.post(action(room, "pin"), {"product_id": products[1].pk}, **HTMX)
    assert response.status_code == 200, text_of(response)
    body = text_of(response)
    assert body.count('aria-pressed="true"') == 1
    room.refresh_from_db()
    assert room.pinned_product_id == products[1].pk
    assert RoomMessage.objects.filter(room=room, kind="pin").count() == 1
    response = client.post(action(room, "pin"), {"product_id": ""}, **HTMX)
    assert response.status_code == 200
    room.refresh_from_db()
    assert room.pinned_product_id is None


def test_pin_refusals_change_nothing() -> None:
    room, _products = room_with_products(1, live=True)
    stranger_product = product(title="别家的货")
    client = client_for(room.host)
    response = client.post(action(room, "pin"), {"product_id": stranger_product.pk}, **HTMX)
    assert response.status_code in (400, 404, 409)
    assert 'data-testid="panel-error"' in text_of(response)
    response = client.post(action(room, "pin"), {"product_id": "x"}, **HTMX)
    assert response.status_code == 400
    assert "Choose a product of this room." in text_of(response)
    response = client_for(UserFactory()).post(
        action(room, "pin"), {"product_id": _products[0].pk}, **HTMX
    )
    assert response.status_code == 403
    room.refresh_from_db()
    assert room.pinned_product_id is None
    assert not RoomMessage.objects.filter(room=room, kind="pin").exists()


# --- Coupons ------------------------------------------------------------------------------


COUPON = {
    "name": "直播专享券",
    "amount": "10",
    "min_spend": "99",
    "quantity": "20",
    "valid_days": "7",
    "drop_now": "on",
}


def test_host_creates_and_drops_a_live_coupon() -> None:
    room, _products = room_with_products(1, live=True)
    response = client_for(room.host).post(action(room, "coupon-create"), COUPON, **HTMX)
    assert response.status_code == 200, text_of(response)
    body = text_of(response)
    assert "The coupon is dropped in the room." in body
    assert body.count('data-testid="console-coupon"') == 1
    assert "20 of 20 left" in body
    coupon = RoomCoupon.objects.get(room=room)
    assert coupon.dropped_at is not None
    assert RoomMessage.objects.filter(room=room, kind="coupon").count() == 1


def test_coupon_created_then_dropped_later() -> None:
    room, _products = room_with_products(1, live=True)
    client = client_for(room.host)
    data = {key: value for key, value in COUPON.items() if key != "drop_now"}
    response = client.post(action(room, "coupon-create"), data, **HTMX)
    assert response.status_code == 200
    coupon = RoomCoupon.objects.get(room=room)
    assert coupon.dropped_at is None
    assert 'data-testid="coupon-drop"' in text_of(response)
    response = client.post(
        action(room, "coupon-drop", template_id=coupon.coupon_template_id), **HTMX
    )
    assert response.status_code == 200
    coupon.refresh_from_db()
    assert coupon.dropped_at is not None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"amount": "0"}, "amount", "Ensure this value is greater than or equal to 0.01."),
        ({"amount": "120"}, "amount", "The amount off cannot be more than the minimum spend."),
        ({"quantity": "0"}, "quantity", "Ensure this value is greater than or equal to 1."),
    ],
)
def test_coupon_bad_input(change: dict[str, str], field: str, message: str) -> None:
    room, _products = room_with_products(1, live=True)
    response = client_for(room.host).post(
        action(room, "coupon-create"), {**COUPON, **change}, **HTMX
    )
    assert response.status_code == 400
    body = text_of(response)
    assert f'data-field="{field}"' in body
    assert message in body
    assert not RoomCoupon.objects.filter(room=room).exists()


def test_coupon_list_shows_what_is_left() -> None:
    room, _products = room_with_products(1, live=True)
    client_for(room.host).post(action(room, "coupon-create"), COUPON, **HTMX)
    template_id = RoomCoupon.objects.get(room=room).coupon_template_id
    viewer = UserFactory()
    deal_services.room_coupon_claim(
        user_id=viewer.pk, room_id=room.pk, coupon_template_id=template_id
    )
    response = client_for(room.host).get(action(room, "coupon-list"), **HTMX)
    assert response.status_code == 200
    body = text_of(response)
    assert "19 of 20 left" in body
    assert 'hx-trigger="every 5s"' in body
    assert client_for(viewer).get(action(room, "coupon-list")).status_code == 403


def test_coupon_refused_to_another_user() -> None:
    room, _products = room_with_products(1, live=True)
    response = client_for(UserFactory()).post(action(room, "coupon-create"), COUPON, **HTMX)
    assert response.status_code == 403
    assert not RoomCoupon.objects.filter(room=room).exists()


# --- Flash deal ---------------------------------------------------------------------------


def test_host_starts_a_flash_deal() -> None:
    room, products = room_with_products(1, live=True)
    sku_id = products[0].skus.get().pk
    data = {
        "sku_choice": f"{products[0].pk}:{sku_id}",
        "price": "99.00",
        "quantity": "5",
        "minutes": "10",
    }
    response = client_for(room.host).post(action(room, "flash"), data, **HTMX)
    assert response.status_code == 200, text_of(response)
    assert "The flash deal is on." in text_of(response)
    assert RoomMessage.objects.filter(room=room, kind="flash").count() == 1


def test_flash_deal_bad_input() -> None:
    room, products = room_with_products(1, live=True)
    data = {"sku_choice": f"{products[0].pk}:", "price": "-1", "quantity": "5", "minutes": "10"}
    response = client_for(room.host).post(action(room, "flash"), data, **HTMX)
    assert response.status_code == 400
    body = text_of(response)
    assert 'data-field="price"' in body
    assert not RoomMessage.objects.filter(room=room, kind="flash").exists()


# --- Announcements ------------------------------------------------------------------------


def test_assistant_announces() -> None:
    room, _products = room_with_products(1, live=True)
    assistant = RoomAssistantFactory(room=room).user
    response = client_for(assistant).post(
        action(room, "announce"), {"text": "前十名下单送围巾"}, **HTMX
    )
    assert response.status_code == 200, text_of(response)
    assert "Announced to the room." in text_of(response)
    message = RoomMessage.objects.get(room=room, kind="announcement")
    assert message.payload["text"] == "前十名下单送围巾"


def test_announcement_bad_input_and_refusal() -> None:
    room, _products = room_with_products(1, live=True)
    response = client_for(room.host).post(action(room, "announce"), {"text": ""}, **HTMX)
    assert response.status_code == 400
    assert 'data-field="text"' in text_of(response)
    response = client_for(room.host).post(action(room, "announce"), {"text": "x" * 201}, **HTMX)
    assert response.status_code == 400
    response = client_for(UserFactory()).post(action(room, "announce"), {"text": "hi"}, **HTMX)
    assert response.status_code == 403
    assert not RoomMessage.objects.filter(room=room, kind="announcement").exists()


# --- Stats ---------------------------------------------------------------------------------


def test_stats_panel_shows_orders_and_sales() -> None:
    room, _products = room_with_products(1, live=True)
    RoomOrderFactory(room=room, total=19900)
    RoomOrderFactory(room=room, total=5000)
    response = client_for(room.host).get(action(room, "stats"), **HTMX)
    assert response.status_code == 200
    body = text_of(response)
    assert '<strong data-testid="stat-orders">2</strong>' in body
    assert "249.00" in body
    assert 'hx-trigger="every 5s"' in body
    assert client_for(UserFactory()).get(action(room, "stats")).status_code == 403
