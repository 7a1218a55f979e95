"""Rooms: who may host, the plan and its rules, the state machine (every move recorded and
broadcast), follower reminders exactly once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.utils import timezone

from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.core.models import OutboxEvent
from circlemart.live.models import Room, RoomAssistant, RoomMessage, RoomProduct, RoomTransition
from circlemart.live.realtime.broadcast import room_group
from circlemart.live.services import rooms
from circlemart.moderation import services as moderation
from circlemart.moderation import wordfilter
from circlemart.notifications.models import Notification
from circlemart.social import services as social
from tests.live.factories import (
    RoomFactory,
    UserFactory,
    creator,
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


def _soon(hours: int = 2) -> Any:
    return clock.now() + timedelta(hours=hours)


def _error(call: Callable[[], Any], kind: type[Exception]) -> Any:
    with pytest.raises(kind) as caught:
        call()
    return caught.value


# --- create ---------------------------------------------------------------------------------


def test_a_creator_schedules_a_room_with_products_and_assistants() -> None:
    host = creator()
    first, second = product(), product()
    helper = UserFactory()
    start = _soon()

    room_id = rooms.room_create(
        host_id=host.pk,
        title="  春季上新  ",
        scheduled_start=start,
        description="今晚 8 点\x07见",
        video_url="https://media.example.com/a.m3u8",
        product_ids=[second.pk, first.pk, second.pk],
        assistant_ids=[helper.pk, host.pk],
    )

    room = Room.objects.get(pk=room_id)
    assert (room.host_id, room.title, room.state) == (host.pk, "春季上新", "scheduled")
    assert room.description == "今晚 8 点见"  # control characters stripped
    assert room.scheduled_start == start
    assert room.video_url == "https://media.example.com/a.m3u8"
    assert list(RoomProduct.objects.filter(room=room).values_list("product_id", "position")) == [
        (second.pk, 0),
        (first.pk, 1),
    ]
    # The host is never their own assistant.
    assert list(RoomAssistant.objects.filter(room=room).values_list("user_id", flat=True)) == [
        helper.pk
    ]
    assert room.started_at is None
    assert RoomTransition.objects.count() == 0


def test_merchant_staff_may_host_and_shoppers_may_not() -> None:
    staff = merchant_staff()
    assert rooms.room_create(host_id=staff.pk, title="店铺直播", scheduled_start=_soon())

    shopper = UserFactory()
    error = _error(
        lambda: rooms.room_create(host_id=shopper.pk, title="我的直播", scheduled_start=_soon()),
        PermissionDenied,
    )
    assert (error.code, error.field) == ("may_not_host", "host_id")
    assert Room.objects.filter(host=shopper).count() == 0


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"title": ""}, "invalid_title", "title"),
        ({"title": "   \n "}, "invalid_title", "title"),
        ({"title": "长" * 81}, "invalid_title", "title"),
        ({"video_url": "ftp://media.example.com/a.mp4"}, "invalid_video_url", "video_url"),
        ({"video_url": "javascript:alert(1)"}, "invalid_video_url", "video_url"),
        ({"video_url": "https:///nohost"}, "invalid_video_url", "video_url"),
        ({"description": "字" * 2001}, "invalid_description", "description"),
        ({"scheduled_start": "past"}, "start_in_past", "scheduled_start"),
        ({"product_ids": list(range(1, 52))}, "too_many_products", "product_ids"),
        ({"product_ids": [987654]}, "product_not_available", "product_ids"),
        ({"assistant_ids": [987654]}, "assistant_not_found", "assistant_ids"),
    ],
)
def test_bad_plans_are_refused_naming_the_field(
    fields: dict[str, Any], code: str, field: str
) -> None:
    host = creator()
    values: dict[str, Any] = {"title": "好物直播", "scheduled_start": _soon()}
    values.update(fields)
    if values["scheduled_start"] == "past":
        values["scheduled_start"] = clock.now() - timedelta(minutes=1)

    error = _error(lambda: rooms.room_create(host_id=host.pk, **values), ValidationFailed)

    assert (error.code, error.field) == (code, field)
    assert Room.objects.count() == 0


def test_a_start_without_a_time_zone_is_read_in_the_sites() -> None:
    host = creator()
    naive = timezone.localtime(clock.now() + timedelta(hours=3)).replace(tzinfo=None)
    room_id = rooms.room_create(host_id=host.pk, title="好物", scheduled_start=naive)
    assert Room.objects.get(pk=room_id).scheduled_start == timezone.make_aware(naive)


def test_a_title_of_exactly_80_characters_is_accepted() -> None:
    host = creator()
    room_id = rooms.room_create(host_id=host.pk, title="长" * 80, scheduled_start=_soon())
    assert Room.objects.get(pk=room_id).title == "长" * 80


def test_a_product_not_on_sale_is_refused() -> None:
    host = creator()
    hidden = product(status="draft")
    error = _error(
        lambda: rooms.room_create(
            host_id=host.pk, title="好物", scheduled_start=_soon(), product_ids=[hidden.pk]
        ),
        ValidationFailed,
    )
    assert (error.code, error.extra["product_id"]) == ("product_not_available", hidden.pk)


def test_eleven_assistants_are_too_many() -> None:
    host = creator()
    helpers = [UserFactory().pk for _ in range(11)]
    error = _error(
        lambda: rooms.room_create(
            host_id=host.pk, title="好物", scheduled_start=_soon(), assistant_ids=helpers
        ),
        ValidationFailed,
    )
    assert (error.code, error.field) == ("too_many_assistants", "assistant_ids")


def test_a_blocked_word_in_the_title_is_refused() -> None:
    moderation.word_upsert(word="违禁词", category="other", action="block")
    host = creator()
    error = _error(
        lambda: rooms.room_create(host_id=host.pk, title="卖违禁词", scheduled_start=_soon()),
        ValidationFailed,
    )
    assert (error.code, error.field) == ("sensitive_content", "title")


# --- update ---------------------------------------------------------------------------------


def test_the_host_changes_the_plan_while_scheduled() -> None:
    room, (first, _second) = room_with_products(2)
    third = product()
    later = _soon(5)
    Room.objects.filter(pk=room.pk).update(reminder_sent_at=clock.now())

    rooms.room_update(
        actor_id=room.host_id,
        room_id=room.pk,
        title="新标题",
        scheduled_start=later,
        product_ids=[third.pk, first.pk],
    )

    room.refresh_from_db()
    assert (room.title, room.scheduled_start) == ("新标题", later)
    assert room.reminder_sent_at is None  # a new start earns a new reminder
    assert list(
        RoomProduct.objects.filter(room=room).order_by("position").values_list("product_id")
    ) == [(third.pk,), (first.pk,)]
    assert room.description == "今晚好物分享"  # not given: unchanged


def test_a_live_room_keeps_its_plan_but_may_change_products() -> None:
    room, (_first, second) = room_with_products(2, live=True)

    error = _error(
        lambda: rooms.room_update(actor_id=room.host_id, room_id=room.pk, title="改标题"),
        Conflict,
    )
    assert (error.code, error.field) == ("room_not_editable", "state")
    rooms.room_products_set(actor_id=room.host_id, room_id=room.pk, product_ids=[second.pk])

    room.refresh_from_db()
    assert room.title != "改标题"
    assert list(RoomProduct.objects.filter(room=room).values_list("product_id", flat=True)) == [
        second.pk
    ]


def test_removing_the_pinned_product_unpins_it() -> None:
    room, (first, second) = room_with_products(2, live=True)
    Room.objects.filter(pk=room.pk).update(pinned_product_id=first.pk, pinned_at=clock.now())

    rooms.room_products_set(actor_id=room.host_id, room_id=room.pk, product_ids=[second.pk])

    room.refresh_from_db()
    assert room.pinned_product_id is None
    message = RoomMessage.objects.get(room=room)
    assert (message.kind, message.payload) == ("pin", {"product": None})


def test_only_the_host_or_staff_change_a_room() -> None:
    room = RoomFactory()
    stranger = UserFactory()
    assistant = UserFactory()
    RoomAssistant.objects.create(room=room, user=assistant)

    for actor in (stranger, assistant):
        error = _error(
            lambda actor=actor: rooms.room_update(actor_id=actor.pk, room_id=room.pk, title="x"),
            PermissionDenied,
        )
        assert error.code == "not_room_host"
    rooms.room_update(actor_id=merchant_staff().pk, room_id=room.pk, title="店铺改的")

    room.refresh_from_db()
    assert room.title == "店铺改的"


def test_an_unknown_room_is_not_found() -> None:
    error = _error(lambda: rooms.room_start(actor_id=creator().pk, room_id=987654), NotFound)
    assert (error.code, error.status) == ("room_not_found", 404)


# --- the state machine --------------------------------------------------------------------


def test_the_whole_life_of_a_room_is_recorded_and_broadcast() -> None:
    room = RoomFactory()
    host_id = room.host_id

    rooms.room_start(actor_id=host_id, room_id=room.pk)
    rooms.room_pause(actor_id=host_id, room_id=room.pk)
    rooms.room_resume(actor_id=host_id, room_id=room.pk)
    rooms.room_end(actor_id=host_id, room_id=room.pk)
    rooms.room_publish_replay(
        actor_id=host_id, room_id=room.pk, replay_url="https://media.example.com/r.mp4"
    )

    room.refresh_from_db()
    assert room.state == "replay"
    assert room.replay_url == "https://media.example.com/r.mp4"
    assert room.started_at is not None
    assert room.ended_at is not None
    assert room.started_at <= room.ended_at
    assert list(
        RoomTransition.objects.filter(room=room).values_list("from_state", "to_state", "actor_id")
    ) == [
        ("scheduled", "live", host_id),
        ("live", "paused", host_id),
        ("paused", "live", host_id),
        ("live", "ended", host_id),
        ("ended", "replay", host_id),
    ]
    frames = list(RoomMessage.objects.filter(room=room).values_list("sequence", "kind", "payload"))
    assert frames == [
        (1, "state", {"state": "live", "from": "scheduled"}),
        (2, "state", {"state": "paused", "from": "live"}),
        (3, "state", {"state": "live", "from": "paused"}),
        (4, "state", {"state": "ended", "from": "live"}),
        (5, "state", {"state": "replay", "from": "ended"}),
    ]
    assert room.last_sequence == 5
    events = OutboxEvent.objects.filter(event_type="live.RoomStateChanged").order_by("id")
    assert [(e.aggregate_id, e.payload["to_state"]) for e in events] == [
        (str(room.pk), state) for state in ("live", "paused", "live", "ended", "replay")
    ]


def test_resuming_keeps_the_first_start_time() -> None:
    room = RoomFactory(paused=True)
    started = room.started_at
    rooms.room_resume(actor_id=room.host_id, room_id=room.pk)
    room.refresh_from_db()
    assert (room.state, room.started_at) == ("live", started)


@pytest.mark.parametrize(
    ("state", "move"),
    [
        ("live", "room_start"),
        ("scheduled", "room_pause"),
        ("scheduled", "room_end"),
        ("live", "room_resume"),
        ("paused", "room_pause"),
        ("ended", "room_start"),
        ("ended", "room_resume"),
        ("live", "room_publish_replay"),
        ("replay", "room_end"),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(state: str, move: str) -> None:
    room = RoomFactory(**{state: True} if state != "scheduled" else {})
    before = Room.objects.values().get(pk=room.pk)

    error = _error(lambda: getattr(rooms, move)(actor_id=room.host_id, room_id=room.pk), Conflict)

    assert (error.code, error.status, error.extra["state"]) == (
        "room_illegal_transition",
        409,
        state,
    )
    assert Room.objects.values().get(pk=room.pk) == before
    assert RoomTransition.objects.count() == 0
    assert RoomMessage.objects.count() == 0


def test_a_stranger_cannot_start_a_room() -> None:
    room = RoomFactory()
    error = _error(
        lambda: rooms.room_start(actor_id=UserFactory().pk, room_id=room.pk), PermissionDenied
    )
    assert (error.code, error.status) == ("not_room_host", 403)
    room.refresh_from_db()
    assert room.state == "scheduled"


def test_staff_may_move_any_room() -> None:
    room = RoomFactory(live=True)
    staff = merchant_staff()
    rooms.room_end(actor_id=staff.pk, room_id=room.pk)
    assert RoomTransition.objects.get(room=room).actor_id == staff.pk


def test_the_state_frame_reaches_the_room_after_commit(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    room = RoomFactory()
    layer = get_channel_layer()

    def start() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            rooms.room_start(actor_id=room.host_id, room_id=room.pk)

    async def scenario() -> dict[str, Any]:
        # One event loop throughout: the Redis pub/sub layer keeps its channels per loop.
        channel = await layer.new_channel()
        await layer.group_add(room_group(room.pk), channel)
        await sync_to_async(start)()
        received = await asyncio.wait_for(layer.receive(channel), timeout=10)
        await layer.group_discard(room_group(room.pk), channel)
        return dict(received)

    message = async_to_sync(scenario)()
    assert message["type"] == "live.frame"
    frame = message["frame"]
    assert (frame["type"], frame["seq"], frame["data"]) == (
        "state",
        1,
        {"state": "live", "from": "scheduled"},
    )


# --- followers' news ----------------------------------------------------------------------


def _followers(host_id: int, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        fan = UserFactory()
        social.follow_create(follower_id=fan.pk, followee_id=host_id)
        ids.append(fan.pk)
    return ids


def test_rooms_starting_within_15_minutes_remind_the_followers_once() -> None:
    soon = RoomFactory(scheduled_start=clock.now() + timedelta(minutes=14))
    later = RoomFactory(scheduled_start=clock.now() + timedelta(minutes=16))
    fans = _followers(soon.host_id, 3)
    _followers(later.host_id, 2)

    assert rooms.rooms_remind_due() == 1
    assert rooms.rooms_remind_due() == 0

    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.reminder_sent_at is not None
    assert later.reminder_sent_at is None
    rows = Notification.objects.filter(kind="live_reminder")
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(fans)
    assert set(rows.values_list("target_type", "target_id", "excerpt")) == {
        ("room", soon.pk, soon.title)
    }


def test_a_room_is_reminded_once_per_start_time() -> None:
    room = RoomFactory(scheduled_start=clock.now() + timedelta(minutes=5))
    fans = _followers(room.host_id, 2)

    assert rooms.room_remind_followers(room_id=room.pk) is True
    assert rooms.room_remind_followers(room_id=room.pk) is False
    assert Notification.objects.filter(kind="live_reminder").count() == len(fans)

    # A new start time earns a new reminder: the inbox item is unread again, not doubled.
    Notification.objects.update(is_read=True)
    rooms.room_update(
        actor_id=room.host_id,
        room_id=room.pk,
        scheduled_start=clock.now() + timedelta(minutes=10),
    )
    assert rooms.room_remind_followers(room_id=room.pk) is True
    assert Notification.objects.filter(kind="live_reminder").count() == len(fans)
    assert Notification.objects.filter(is_read=False).count() == len(fans)


def test_a_started_room_is_not_reminded() -> None:
    room = RoomFactory(live=True)
    _followers(room.host_id, 1)
    assert rooms.rooms_remind_due() == 0
    assert Notification.objects.count() == 0


def test_going_live_tells_the_followers(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    room = RoomFactory()
    fans = _followers(room.host_id, 2)

    with django_capture_on_commit_callbacks(execute=True):
        rooms.room_start(actor_id=room.host_id, room_id=room.pk)

    assert sorted(
        Notification.objects.filter(kind="live_started").values_list("recipient_id", flat=True)
    ) == sorted(fans)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_remind_exactly_once() -> None:
    room = RoomFactory(scheduled_start=clock.now() + timedelta(minutes=10))
    fans = _followers(room.host_id, 2)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def sweep() -> None:
        try:
            barrier.wait()
            results.append(rooms.room_remind_followers(room_id=room.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 7 + [True]
    assert Notification.objects.filter(kind="live_reminder").count() == len(fans)
