"""The live API over HTTP: lists and details for anyone, a room's life for its host, live
coupons, pins, flash deals and announcements, the message log; errors as JSON naming the field
(400), 401 signed out, 403 for someone else's room, 404 for an unknown room, 409 for an
illegal move."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.core import clock
from circlemart.live.models import Room, RoomMessage, RoomTransition
from circlemart.promotions.coupons.models import UserCoupon
from tests.live.factories import (
    RoomFactory,
    UserFactory,
    creator,
    live_room,
    product,
    room_with_products,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/live"


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access_token}"}


def send(client: Client, method: str, path: str, body: object = None, **extra: Any) -> Any:
    call = getattr(client, method)
    return call(path, json.dumps(body or {}), content_type="application/json", **extra)


def post(client: Client, path: str, body: object = None, **extra: Any) -> Any:
    return send(client, "post", path, body, **extra)


def _start_iso(hours: int = 2) -> str:
    return (clock.now() + timedelta(hours=hours)).isoformat()


def _error(response: Any) -> dict[str, Any]:
    return dict(response.json()["error"])


# --- reading --------------------------------------------------------------------------------


def test_anyone_reads_the_lists_and_a_room(api_client: Client) -> None:
    room, (first, _second) = room_with_products(2, live=True, title="冬季好物")
    RoomFactory()  # upcoming
    Room.objects.filter(pk=room.pk).update(pinned_product_id=first.pk)

    live = api_client.get(f"{BASE}/rooms?section=live")
    upcoming = api_client.get(f"{BASE}/rooms?section=upcoming")
    detail = api_client.get(f"{BASE}/rooms/{room.pk}")

    assert live.status_code == upcoming.status_code == detail.status_code == 200
    assert [item["id"] for item in live.json()["items"]] == [room.pk]
    assert len(upcoming.json()["items"]) == 1
    body = detail.json()
    assert (body["id"], body["title"], body["state"], body["role"]) == (
        room.pk,
        "冬季好物",
        "live",
        "anonymous",
    )
    assert [card["product_id"] for card in body["products"]] == [first.pk, _second.pk]
    assert body["pinned_product"]["product_id"] == first.pk
    assert body["pinned_product"]["price_display"] == "CN¥199.00"
    assert body["assistant_ids"] == []
    assert body["host"]["id"] == room.host_id


def test_an_unknown_section_is_a_bad_request(api_client: Client) -> None:
    response = api_client.get(f"{BASE}/rooms?section=soon")
    assert response.status_code == 400
    assert _error(response)["field"] == "section"


def test_an_unknown_room_is_404(api_client: Client) -> None:
    response = api_client.get(f"{BASE}/rooms/987654")
    assert response.status_code == 404
    assert _error(response) == {
        "code": "room_not_found",
        "message": "Live room not found.",
        "field": "room_id",
    }
    host = creator()
    assert post(api_client, f"{BASE}/rooms/987654/start", **bearer(host)).status_code == 404
    assert api_client.get(f"{BASE}/rooms/987654/messages").status_code == 404


# --- creating and planning ------------------------------------------------------------------


def test_a_creator_schedules_a_room(api_client: Client) -> None:
    host = creator()
    item = product()
    response = post(
        api_client,
        f"{BASE}/rooms",
        {
            "title": "春季上新",
            "scheduled_start": _start_iso(),
            "description": "一起看看",
            "video_url": "https://media.example.com/live.m3u8",
            "product_ids": [item.pk],
        },
        **bearer(host),
    )
    assert response.status_code == 201
    room = Room.objects.get(pk=response.json()["id"])
    assert (room.host_id, room.title, room.state) == (host.pk, "春季上新", "scheduled")
    assert list(room.products.values_list("product_id", flat=True)) == [item.pk]


def test_signed_out_callers_cannot_create(api_client: Client) -> None:
    response = post(api_client, f"{BASE}/rooms", {"title": "x", "scheduled_start": _start_iso()})
    assert response.status_code == 401
    assert Room.objects.count() == 0


def test_a_shopper_may_not_host(api_client: Client) -> None:
    response = post(
        api_client,
        f"{BASE}/rooms",
        {"title": "我的直播", "scheduled_start": _start_iso()},
        **bearer(UserFactory()),
    )
    assert response.status_code == 403
    assert _error(response)["code"] == "may_not_host"
    assert Room.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"scheduled_start": "soon"}, 400, "invalid", "title"),
        ({"title": ""}, 400, "invalid_title", "title"),
        ({"title": "长" * 81}, 400, "invalid_title", "title"),
        ({"title": "长" * 201}, 400, "invalid", "title"),
        ({"scheduled_start": "past"}, 400, "start_in_past", "scheduled_start"),
        ({"product_ids": [987654]}, 400, "product_not_available", "product_ids"),
        ({"video_url": "file:///etc/passwd"}, 400, "invalid_video_url", "video_url"),
        ({"assistant_ids": [987654]}, 400, "assistant_not_found", "assistant_ids"),
    ],
)
def test_bad_rooms_are_refused_naming_the_field(
    api_client: Client, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    values: dict[str, Any] = {"title": "好物直播", "scheduled_start": _start_iso()}
    values.update(body)
    if values["scheduled_start"] == "past":
        values["scheduled_start"] = (clock.now() - timedelta(minutes=5)).isoformat()
    if values["scheduled_start"] == "soon":
        del values["title"]
        values["scheduled_start"] = _start_iso()

    response = post(api_client, f"{BASE}/rooms", values, **bearer(creator()))

    assert response.status_code == status
    error = _error(response)
    assert (error["code"], error["field"]) == (code, field)
    assert Room.objects.count() == 0


def test_the_host_patches_the_plan_and_others_get_403(api_client: Client) -> None:
    room = RoomFactory()
    response = send(
        api_client,
        "patch",
        f"{BASE}/rooms/{room.pk}",
        {"title": "新标题"},
        **bearer(room.host),
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["role"]) == ("新标题", "host")

    other = send(
        api_client,
        "patch",
        f"{BASE}/rooms/{room.pk}",
        {"title": "抢来的"},
        **bearer(creator()),
    )
    assert other.status_code == 403
    assert _error(other)["code"] == "not_room_host"
    room.refresh_from_db()
    assert room.title == "新标题"


def test_patching_a_live_rooms_title_is_a_conflict(api_client: Client) -> None:
    room = live_room()
    response = send(
        api_client, "patch", f"{BASE}/rooms/{room.pk}", {"title": "x"}, **bearer(room.host)
    )
    assert response.status_code == 409
    assert _error(response)["code"] == "room_not_editable"


# --- the room's life ------------------------------------------------------------------------


def test_the_host_runs_the_room_through_its_states(api_client: Client) -> None:
    room = RoomFactory()
    auth = bearer(room.host)
    states = []
    for move in ("start", "pause", "resume", "end"):
        response = post(api_client, f"{BASE}/rooms/{room.pk}/{move}", **auth)
        assert response.status_code == 200, response.content
        states.append(response.json()["state"])
    replay = post(
        api_client,
        f"{BASE}/rooms/{room.pk}/replay",
        {"replay_url": "https://media.example.com/r.mp4"},
        **auth,
    )
    assert states == ["live", "paused", "live", "ended"]
    assert (replay.json()["state"], replay.json()["replay_url"]) == (
        "replay",
        "https://media.example.com/r.mp4",
    )
    assert RoomTransition.objects.filter(room=room).count() == 5


def test_an_illegal_move_is_409_and_changes_nothing(api_client: Client) -> None:
    room = RoomFactory()
    response = post(api_client, f"{BASE}/rooms/{room.pk}/pause", **bearer(room.host))
    assert response.status_code == 409
    error = _error(response)
    assert (error["code"], error["field"], error["state"], error["to"]) == (
        "room_illegal_transition",
        "state",
        "scheduled",
        "paused",
    )
    room.refresh_from_db()
    assert room.state == "scheduled"
    assert RoomMessage.objects.count() == 0


def test_someone_elses_room_cannot_be_started(api_client: Client) -> None:
    room = RoomFactory()
    response = post(api_client, f"{BASE}/rooms/{room.pk}/start", **bearer(creator()))
    assert response.status_code == 403
    assert _error(response)["code"] == "not_room_host"
    room.refresh_from_db()
    assert room.state == "scheduled"


# --- selling --------------------------------------------------------------------------------


def test_pin_coupon_drop_and_claim(api_client: Client) -> None:
    room, (item,) = room_with_products(1, live=True)
    host = bearer(room.host)
    viewer = UserFactory()

    pinned = post(api_client, f"{BASE}/rooms/{room.pk}/pin", {"product_id": item.pk}, **host)
    created = post(
        api_client,
        f"{BASE}/rooms/{room.pk}/coupons",
        {"name": "直播券", "amount": 500, "min_spend": 0, "quantity": 3},
        **host,
    )
    template_id = created.json()["template_id"]
    dropped = post(api_client, f"{BASE}/rooms/{room.pk}/coupons/{template_id}/drop", **host)
    claimed = post(
        api_client, f"{BASE}/rooms/{room.pk}/coupons/{template_id}/claim", **bearer(viewer)
    )
    seen = api_client.get(f"{BASE}/rooms/{room.pk}", **bearer(viewer))

    assert pinned.status_code == 200
    assert pinned.json()["pinned_product"]["product_id"] == item.pk
    assert created.status_code == 201
    assert dropped.status_code == 200
    assert claimed.status_code == 201
    assert claimed.json()["template_id"] == template_id
    assert UserCoupon.objects.get(owner=viewer).template_id == template_id
    [coupon] = seen.json()["coupons"]
    assert (coupon["template_id"], coupon["remaining"], coupon["claimed"]) == (
        template_id,
        2,
        True,
    )


def test_pinning_a_product_outside_the_room_names_the_field(api_client: Client) -> None:
    room = live_room(products=1)
    response = post(
        api_client,
        f"{BASE}/rooms/{room.pk}/pin",
        {"product_id": product().pk},
        **bearer(room.host),
    )
    assert response.status_code == 400
    assert (_error(response)["code"], _error(response)["field"]) == (
        "product_not_in_room",
        "product_id",
    )


def test_a_viewer_cannot_create_coupons_and_signed_out_viewers_cannot_claim(
    api_client: Client,
) -> None:
    room = live_room()
    response = post(
        api_client,
        f"{BASE}/rooms/{room.pk}/coupons",
        {"name": "券", "amount": 500, "quantity": 3},
        **bearer(UserFactory()),
    )
    assert response.status_code == 403
    assert post(api_client, f"{BASE}/rooms/{room.pk}/coupons/1/claim").status_code == 401


def test_a_bad_coupon_names_the_field(api_client: Client) -> None:
    room = live_room()
    response = post(
        api_client,
        f"{BASE}/rooms/{room.pk}/coupons",
        {"name": "券", "amount": 0, "quantity": 3},
        **bearer(room.host),
    )
    assert response.status_code == 400
    assert (_error(response)["code"], _error(response)["field"]) == ("invalid_coupon", "amount")


def test_flash_deal_and_announcement(api_client: Client) -> None:
    room, (item,) = room_with_products(1, live=True)
    host = bearer(room.host)
    flash = post(
        api_client,
        f"{BASE}/rooms/{room.pk}/flash",
        {
            "product_id": item.pk,
            "sku_id": item.skus.get().pk,
            "price": 9900,
            "quantity": 3,
            "minutes": 5,
        },
        **host,
    )
    announced = post(
        api_client, f"{BASE}/rooms/{room.pk}/announcements", {"text": "八点抽奖"}, **host
    )
    too_long = post(
        api_client, f"{BASE}/rooms/{room.pk}/announcements", {"text": "字" * 201}, **host
    )

    assert flash.status_code == 201
    assert flash.json()["item_id"] > 0
    assert announced.status_code == 204
    assert too_long.status_code == 400
    assert _error(too_long)["field"] == "text"
    assert list(RoomMessage.objects.filter(room=room).values_list("kind", flat=True)) == [
        "flash",
        "announcement",
    ]


# --- the log --------------------------------------------------------------------------------


def test_the_message_log_after_a_sequence_number(api_client: Client) -> None:
    room = live_room()
    for text in ("一", "二", "三"):
        post(
            api_client,
            f"{BASE}/rooms/{room.pk}/announcements",
            {"text": text},
            **bearer(room.host),
        )

    page = api_client.get(f"{BASE}/rooms/{room.pk}/messages?after_seq=1")
    limited = api_client.get(f"{BASE}/rooms/{room.pk}/messages?after_seq=0&limit=2")
    empty = api_client.get(f"{BASE}/rooms/{room.pk}/messages?after_seq=3")

    assert page.status_code == 200
    body = page.json()
    assert [(m["seq"], m["type"], m["data"]) for m in body["items"]] == [
        (2, "announcement", {"text": "二"}),
        (3, "announcement", {"text": "三"}),
    ]
    assert (body["last_seq"], body["has_more"]) == (3, False)
    assert (limited.json()["last_seq"], limited.json()["has_more"]) == (2, True)
    assert empty.json() == {"items": [], "last_seq": 3, "has_more": False}


def test_a_claim_retried_with_one_key_claims_once(api_client: Client) -> None:
    room = live_room()
    host = bearer(room.host)
    created = post(
        api_client,
        f"{BASE}/rooms/{room.pk}/coupons",
        {"name": "券", "amount": 500, "quantity": 5},
        **host,
    )
    template_id = created.json()["template_id"]
    post(api_client, f"{BASE}/rooms/{room.pk}/coupons/{template_id}/drop", **host)
    viewer = bearer(UserFactory())
    path = f"{BASE}/rooms/{room.pk}/coupons/{template_id}/claim"

    answers = [
        post(api_client, path, HTTP_IDEMPOTENCY_KEY="live-claim-1", **viewer) for _ in range(3)
    ]

    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert answers[2]["Idempotent-Replayed"] == "true"
    assert UserCoupon.objects.filter(template_id=template_id).count() == 1
