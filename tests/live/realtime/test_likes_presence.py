"""Likes summed into few `likes` frames; presence and viewer sessions; the room's state frames."""

from __future__ import annotations

import pytest
from django.test import override_settings

from circlemart.live.models import Room, RoomMessage, ViewerSession
from circlemart.live.services import rooms as room_services
from tests.live.factories import UserFactory, live_room
from tests.live.realtime.harness import (
    REALTIME_APPS,
    communicator,
    db,
    next_frame,
    open_socket,
    receive_kind,
    run,
    send,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True, available_apps=REALTIME_APPS)


@override_settings(LIVE_LIKES_FLUSH_SECONDS=0.3)
def test_thirty_taps_from_three_viewers_make_fewer_likes_frames() -> None:
    room = live_room()
    cookies = [session_cookie(UserFactory()) for _ in range(3)]

    async def body() -> None:
        viewers = [communicator(room.pk, cookie=cookie) for cookie in cookies]
        for comm in viewers:
            await open_socket(comm)
        for _ in range(10):
            for comm in viewers:
                await send(comm, {"type": "like", "count": 1})
        frames = []
        while not frames or frames[-1]["data"]["total"] < 30:
            frames.append(await receive_kind(viewers[0], "likes"))
        assert sum(f["data"]["delta"] for f in frames) == 30
        assert len(frames) < 30
        assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))
        for comm in viewers:
            await comm.disconnect()

    run(body)
    assert Room.objects.get(pk=room.pk).like_count == 30
    assert RoomMessage.objects.filter(room=room, kind="likes").count() < 30


@override_settings(LIVE_PRESENCE_SECONDS=0, LIVE_LIKES_FLUSH_SECONDS=0.1)
def test_presence_counts_distinct_viewers_and_keeps_the_peak() -> None:
    room = live_room()
    viewer = UserFactory()
    cookie = session_cookie(viewer)

    async def body() -> None:
        first = communicator(room.pk)
        assert (await open_socket(first))["data"]["viewers"] == 1
        second = communicator(room.pk, cookie=cookie)
        assert (await open_socket(second))["data"]["viewers"] == 2
        assert await receive_kind(first, "presence") == {"type": "presence", "data": {"viewers": 2}}
        # The same signed-in viewer in a second tab is still one viewer.
        third = communicator(room.pk, cookie=cookie)
        assert (await open_socket(third))["data"]["viewers"] == 2
        await third.disconnect()
        await second.disconnect()
        assert await receive_kind(first, "presence") == {"type": "presence", "data": {"viewers": 1}}
        await first.disconnect()

    run(body)
    sessions = ViewerSession.objects.filter(room=room)
    assert sessions.count() == 3
    assert sessions.filter(left_at__isnull=True).count() == 0
    assert sessions.filter(visitor_key=f"user:{viewer.pk}").count() == 2
    assert Room.objects.get(pk=room.pk).peak_viewers == 2


def test_state_changes_reach_viewers_and_close_the_chat() -> None:
    room = live_room()
    cookie = session_cookie(UserFactory())

    async def body() -> None:
        viewer = communicator(room.pk, cookie=cookie)
        await open_socket(viewer)
        await db(room_services.room_end)(actor_id=room.host_id, room_id=room.pk)
        frame = await next_frame(viewer)
        assert (frame["type"], frame["seq"], frame["data"]["state"]) == ("state", 1, "ended")
        await send(viewer, {"type": "like", "count": 5})
        assert (await next_frame(viewer))["data"]["code"] == "room_closed"
        await viewer.disconnect()

    run(body)
    assert Room.objects.get(pk=room.pk).like_count == 0
