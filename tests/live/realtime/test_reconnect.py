"""Nothing lost across a drop: a client that reconnects with its last seq receives exactly what
it missed, in order, once, on the in-memory layer and on Redis; frames published while the
log is being replayed are neither lost nor repeated; gaps are filled from the log."""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from circlemart.live.models import Room, RoomMessage
from circlemart.live.realtime.broadcast import publish
from circlemart.live.services.chat import chat_post
from tests.live.factories import RoomMessageFactory, UserFactory, live_room
from tests.live.realtime.harness import (
    REALTIME_APPS,
    WebsocketCommunicator,
    communicator,
    db,
    next_frame,
    open_socket,
    run,
    send,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True, available_apps=REALTIME_APPS)


async def _sequenced(comm: WebsocketCommunicator, count: int) -> list[dict]:
    return [await next_frame(comm) for _ in range(count)]


def _fifty_messages_while_away(room_id: int, host_id: int) -> None:
    for index in range(50):
        chat_post(room_id=room_id, user_id=host_id, text=f"消息 {index}")


def _reconnect_receives_exactly_what_was_missed() -> None:
    room = live_room()
    host_cookie = session_cookie(room.host)
    viewer_cookie = session_cookie(UserFactory())

    async def body() -> None:
        viewer = communicator(room.pk, cookie=viewer_cookie)
        await open_socket(viewer)
        host = communicator(room.pk, cookie=host_cookie)
        await open_socket(host)
        for text in ("开场", "欢迎"):
            await send(host, {"type": "chat", "text": text})
        before = await _sequenced(viewer, 2)
        assert [f["seq"] for f in before] == [1, 2]
        last_seq = before[-1]["seq"]
        await viewer.disconnect()  # the network drops

        await db(_fifty_messages_while_away)(room.pk, room.host_id)

        back = communicator(room.pk, cookie=viewer_cookie, last_seq=last_seq)
        welcome = await open_socket(back)
        assert welcome["data"]["last_seq"] == 52
        missed = await _sequenced(back, 50)
        assert [f["seq"] for f in missed] == list(range(3, 53))
        assert [f["data"]["text"] for f in missed] == [f"消息 {i}" for i in range(50)]
        # No duplicate follows: the next frame is the next message.
        await send(host, {"type": "chat", "text": "回来啦"})
        after = await next_frame(back)
        assert (after["seq"], after["data"]["text"]) == (53, "回来啦")
        await back.disconnect()
        await host.disconnect()

    run(body)
    assert list(RoomMessage.objects.filter(room=room).values_list("sequence", flat=True)) == list(
        range(1, 54)
    )


@override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}})
def test_reconnect_on_the_in_memory_layer() -> None:
    _reconnect_receives_exactly_what_was_missed()


@pytest.mark.redis
def test_reconnect_on_the_redis_layer() -> None:
    layers = {
        "default": {
            # The Redis layer the settings choose (pub/sub: at most once, gaps filled from the log).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": "test-live-rt"},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        from channels.layers import get_channel_layer

        assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"
        _reconnect_receives_exactly_what_was_missed()


@pytest.mark.postgres  # two writers at once: SQLite's shared in-memory test database refuses
def test_frames_published_during_the_replay_are_neither_lost_nor_repeated() -> None:
    room = live_room()
    for _ in range(300):
        RoomMessageFactory(room=room)
    stop = threading.Event()
    published: list[int] = []

    def publisher() -> None:
        # Another server publishing while the client reconnects (its own connection).
        try:
            while not stop.is_set() and len(published) < 200:
                frame = publish(room_id=room.pk, kind="announcement", payload={"text": "live"})
                published.append(frame["seq"])
        finally:
            connection.close()

    async def body() -> None:
        thread = threading.Thread(target=publisher)
        thread.start()
        try:
            back = communicator(room.pk, last_seq=10)
            await open_socket(back)
        finally:
            await asyncio.get_running_loop().run_in_executor(None, thread.join)
        last = max(published)
        seqs: list[int] = []
        while not seqs or seqs[-1] < last:
            seqs.append((await next_frame(back))["seq"])
        assert seqs == list(range(11, last + 1))
        await send(back, {"type": "ping"})
        assert await next_frame(back) == {"type": "pong", "data": {}}
        await back.disconnect()

    run(body)
    assert len(published) == 200


def test_a_gap_in_live_frames_is_filled_from_the_log() -> None:
    room = live_room()

    async def body() -> None:
        viewer = communicator(room.pk)
        await open_socket(viewer)
        # Seq 1 is logged but never sent to the layer (as if its sender were slow or elsewhere).
        await db(RoomMessageFactory)(room=room)
        await db(publish)(room_id=room.pk, kind="announcement", payload={"text": "二"})
        first, second = await next_frame(viewer), await next_frame(viewer)
        assert (first["type"], first["seq"]) == ("chat", 1)
        assert (second["type"], second["seq"]) == ("announcement", 2)
        await viewer.disconnect()

    run(body)


@override_settings(LIVE_LOG_POLL_SECONDS=0.05)
def test_frames_logged_by_another_process_arrive_through_the_log() -> None:
    room = live_room()

    async def body() -> None:
        viewer = communicator(room.pk)
        await open_socket(viewer)
        # Written to the log without any send: what an HTTP process's publish looks like to
        # this process on the in-memory layer.
        await db(RoomMessageFactory)(room=room)
        frame = await next_frame(viewer)
        assert (frame["type"], frame["seq"]) == ("chat", 1)
        await viewer.disconnect()

    run(body)


def test_deleted_messages_replay_as_numbers_without_words() -> None:
    room = live_room()
    RoomMessageFactory(room=room)
    RoomMessageFactory(room=room, is_deleted=True)
    RoomMessageFactory(room=room)

    async def body() -> None:
        back = communicator(room.pk, last_seq=0)
        await open_socket(back)
        frames = [await next_frame(back) for _ in range(3)]
        assert [f["seq"] for f in frames] == [1, 2, 3]
        assert frames[1]["data"] == {"deleted": True}
        assert frames[0]["data"]["text"] == "你好"
        await back.disconnect()

    run(body)
    assert Room.objects.get(pk=room.pk).last_sequence == 3
