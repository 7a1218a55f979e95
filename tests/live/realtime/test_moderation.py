"""Moderator frames: delete, mute/unmute, kick, slow mode, announce; refused to viewers."""

from __future__ import annotations

import pytest

from circlemart.live.models import Room, RoomMessage, RoomMute
from tests.live.factories import RoomAssistantFactory, UserFactory, live_room
from tests.live.realtime.harness import (
    REALTIME_APPS,
    communicator,
    expect_close,
    next_frame,
    open_socket,
    receive_kind,
    run,
    send,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True, available_apps=REALTIME_APPS)


def test_host_deletes_a_message_and_every_viewer_is_told() -> None:
    room = live_room()
    cookie = session_cookie(UserFactory())
    host_cookie = session_cookie(room.host)

    async def body() -> None:
        talker = communicator(room.pk, cookie=cookie)
        await open_socket(talker)
        host = communicator(room.pk, cookie=host_cookie)
        await open_socket(host)
        await send(talker, {"type": "chat", "text": "广告"})
        assert (await next_frame(host))["seq"] == 1
        assert (await next_frame(talker))["seq"] == 1
        await send(host, {"type": "delete", "seq": 1})
        for comm in (talker, host):
            frame = await receive_kind(comm, "delete")
            assert (frame["seq"], frame["data"]) == (2, {"seq": 1})
        await send(host, {"type": "delete", "seq": 99})
        error = await next_frame(host)
        assert (error["data"]["code"], error["data"]["field"]) == ("not_found", "seq")
        await talker.disconnect()
        await host.disconnect()

    run(body)
    assert RoomMessage.objects.get(room=room, sequence=1).is_deleted is True


def test_assistant_mutes_a_viewer_who_is_told_why_then_unmutes() -> None:
    room = live_room()
    viewer = UserFactory()
    assistant = RoomAssistantFactory(room=room).user
    cookie = session_cookie(viewer)
    assistant_cookie = session_cookie(assistant)

    async def body() -> None:
        muted = communicator(room.pk, cookie=cookie)
        await open_socket(muted)
        moderator = communicator(room.pk, cookie=assistant_cookie)
        await open_socket(moderator)
        await send(
            moderator, {"type": "mute", "user_id": viewer.pk, "reason": "刷屏", "minutes": 10}
        )
        frame = await receive_kind(moderator, "mute")
        assert frame["seq"] == 1
        assert frame["data"]["user_id"] == viewer.pk
        assert frame["data"]["kicked"] is False
        until = frame["data"]["until"]
        assert isinstance(until, str)
        seen = [await next_frame(muted), await next_frame(muted)]
        assert {f["type"] for f in seen} == {"mute", "muted"}
        notice = next(f for f in seen if f["type"] == "muted")
        assert notice == {"type": "muted", "data": {"reason": "刷屏", "until": until}}
        assert "seq" not in notice
        await send(muted, {"type": "chat", "text": "为什么"})
        error = await next_frame(muted)
        assert error["data"]["code"] == "muted"
        assert error["data"]["message"].endswith("Reason: 刷屏")
        await send(moderator, {"type": "unmute", "user_id": viewer.pk})
        assert await next_frame(muted) == {"type": "unmuted", "data": {}}
        await send(muted, {"type": "chat", "text": "谢谢"})
        assert (await next_frame(muted))["data"]["text"] == "谢谢"
        await muted.disconnect()
        await moderator.disconnect()

    run(body)
    assert RoomMute.objects.filter(room=room).count() == 0


def test_kicked_viewer_is_closed_with_4403_and_cannot_come_back() -> None:
    room = live_room()
    viewer = UserFactory()
    cookie = session_cookie(viewer)
    host_cookie = session_cookie(room.host)

    async def body() -> None:
        kicked = communicator(room.pk, cookie=cookie)
        await open_socket(kicked)
        second_tab = communicator(room.pk, cookie=cookie)
        await open_socket(second_tab)
        host = communicator(room.pk, cookie=host_cookie)
        await open_socket(host)
        await send(host, {"type": "kick", "user_id": viewer.pk, "reason": "辱骂"})
        frame = await receive_kind(host, "mute")
        assert frame["data"] == {"user_id": viewer.pk, "until": None, "kicked": True}
        for comm in (kicked, second_tab):
            assert (await next_frame(comm))["type"] == "mute"
            error = await next_frame(comm)
            assert error["data"]["code"] == "kicked"
            assert error["data"]["message"] == "You were sent out of this room. Reason: 辱骂"
            assert await expect_close(comm) == 4403
        again = communicator(room.pk, cookie=cookie)
        connected, _ = await again.connect()
        assert connected
        error = await next_frame(again)
        assert error["data"]["code"] == "kicked"
        assert await expect_close(again) == 4403
        for comm in (kicked, second_tab, again, host):
            await comm.disconnect()

    run(body)
    mute = RoomMute.objects.get(room=room, user=viewer)
    assert (mute.is_kicked, mute.reason, mute.muted_by_id) == (True, "辱骂", room.host_id)


def test_slow_mode_and_announcement_from_the_host() -> None:
    room = live_room()
    host_cookie = session_cookie(room.host)

    async def body() -> None:
        watcher = communicator(room.pk)
        await open_socket(watcher)
        host = communicator(room.pk, cookie=host_cookie)
        await open_socket(host)
        await send(host, {"type": "slow_mode", "seconds": 10})
        await send(host, {"type": "announce", "text": "十分钟内下单包邮"})
        first, second = await next_frame(watcher), await next_frame(watcher)
        assert (first["type"], first["seq"], first["data"]) == ("slow_mode", 1, {"seconds": 10})
        assert (second["type"], second["seq"], second["data"]) == (
            "announcement",
            2,
            {"text": "十分钟内下单包邮"},
        )
        await watcher.disconnect()
        await host.disconnect()

    run(body)
    assert Room.objects.get(pk=room.pk).slow_mode_seconds == 10


def test_viewers_may_not_moderate_and_nothing_changes() -> None:
    room = live_room()
    viewer = UserFactory()
    other = UserFactory()
    cookie = session_cookie(viewer)
    host_cookie = session_cookie(room.host)

    async def body() -> None:
        comm = communicator(room.pk, cookie=cookie)
        await open_socket(comm)
        for frame in (
            {"type": "delete", "seq": 1},
            {"type": "mute", "user_id": other.pk, "reason": "x"},
            {"type": "unmute", "user_id": other.pk},
            {"type": "kick", "user_id": other.pk, "reason": "x"},
            {"type": "slow_mode", "seconds": 30},
            {"type": "announce", "text": "我是主播"},
        ):
            await send(comm, frame)
            error = await next_frame(comm)
            assert error["type"] == "error"
            assert error["data"]["code"] == "forbidden", frame
        # and a moderator cannot silence the host
        host = communicator(room.pk, cookie=host_cookie)
        await open_socket(host)
        await send(host, {"type": "mute", "user_id": room.host_id, "reason": "x"})
        assert (await next_frame(host))["data"]["code"] == "forbidden"
        await comm.disconnect()
        await host.disconnect()

    run(body)
    assert RoomMessage.objects.filter(room=room).count() == 0
    assert RoomMute.objects.filter(room=room).count() == 0
    assert Room.objects.get(pk=room.pk).slow_mode_seconds == 0
