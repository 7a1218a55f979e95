"""Chat over the socket: broadcast to every viewer, and its safety rules (sign-in, word filter,
rate limit, slow mode, mutes) refused to the sender only."""

from __future__ import annotations

import pytest

from circlemart.live.models import RoomMessage
from circlemart.moderation import services as moderation
from tests.live.factories import RoomFactory, RoomMuteFactory, UserFactory, live_room
from tests.live.realtime.harness import (
    REALTIME_APPS,
    communicator,
    db,
    next_frame,
    open_socket,
    run,
    send,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True, available_apps=REALTIME_APPS)


def test_chat_reaches_every_viewer_with_the_next_sequence_number() -> None:
    room = live_room()
    speaker = UserFactory(nickname="小林")
    cookie = session_cookie(speaker)

    async def body() -> None:
        watcher = communicator(room.pk)
        await open_socket(watcher)
        talker = communicator(room.pk, cookie=cookie)
        await open_socket(talker)
        await send(talker, {"type": "chat", "text": "  这件有黑色吗？  "})
        for comm in (talker, watcher):
            frame = await next_frame(comm)
            assert frame["type"] == "chat"
            assert frame["seq"] == 1
            assert frame["data"] == {
                "user": {"id": speaker.pk, "name": "小林", "avatar_url": ""},
                "text": "这件有黑色吗？",
                "masked": False,
            }
            assert isinstance(frame["at"], str)
        await talker.disconnect()
        await watcher.disconnect()

    run(body)
    message = RoomMessage.objects.get(room=room)
    assert (message.sequence, message.kind, message.user_id) == (1, "chat", speaker.pk)
    assert message.payload["text"] == "这件有黑色吗？"


def _marker_then_expect(room_id: int) -> None:
    """Publish a host announcement: the next frame any viewer gets must be this one."""
    from circlemart.live.realtime.broadcast import publish

    publish(room_id=room_id, kind="announcement", payload={"text": "marker"})


def test_anonymous_chat_and_like_are_refused_and_nothing_is_broadcast() -> None:
    room = live_room()

    async def body() -> None:
        watcher = communicator(room.pk)
        await open_socket(watcher)
        anon = communicator(room.pk)
        await open_socket(anon)
        await send(anon, {"type": "chat", "text": "hello"})
        error = await next_frame(anon)
        assert error["type"] == "error"
        assert error["data"]["code"] == "sign_in_required"
        assert error["data"]["message"] == "Sign in to chat."
        await send(anon, {"type": "like", "count": 3})
        assert (await next_frame(anon))["data"]["code"] == "sign_in_required"
        await db(_marker_then_expect)(room.pk)
        frame = await next_frame(watcher)
        assert (frame["type"], frame["seq"], frame["data"]) == (
            "announcement",
            1,
            {"text": "marker"},
        )
        await anon.disconnect()
        await watcher.disconnect()

    run(body)
    room.refresh_from_db()
    assert room.like_count == 0
    assert RoomMessage.objects.filter(room=room, kind="chat").count() == 0


def test_masked_words_arrive_masked_and_blocked_ones_reach_nobody() -> None:
    room = live_room()
    moderation.word_upsert(word="加微信", category="spam", action="mask")
    moderation.word_upsert(word="赌博", category="gambling", action="block")
    speaker = UserFactory()
    cookie = session_cookie(speaker)

    async def body() -> None:
        watcher = communicator(room.pk)
        await open_socket(watcher)
        talker = communicator(room.pk, cookie=cookie)
        await open_socket(talker)
        await send(talker, {"type": "chat", "text": "来赌博吧"})
        error = await next_frame(talker)
        assert error == {
            "type": "error",
            "data": {
                "code": "sensitive_content",
                "message": "This message contains words that are not allowed.",
                "field": "text",
            },
        }
        await send(talker, {"type": "chat", "text": "请加微信聊"})
        for comm in (watcher, talker):
            frame = await next_frame(comm)
            assert frame["seq"] == 1  # the blocked message took no number
            assert frame["data"]["text"] == "请***聊"
            assert frame["data"]["masked"] is True
        await talker.disconnect()
        await watcher.disconnect()

    run(body)
    assert list(RoomMessage.objects.filter(room=room).values_list("payload__text", flat=True)) == [
        "请***聊"
    ]


def test_empty_or_too_long_text_is_refused() -> None:
    room = live_room()
    cookie = session_cookie(UserFactory())

    async def body() -> None:
        talker = communicator(room.pk, cookie=cookie)
        await open_socket(talker)
        for text in ("   ", "字" * 201):
            await send(talker, {"type": "chat", "text": text})
            error = await next_frame(talker)
            assert error["data"]["code"] == "invalid_text"
            assert error["data"]["field"] == "text"
        await send(talker, {"type": "chat", "text": "字" * 200})
        assert (await next_frame(talker))["type"] == "chat"
        await talker.disconnect()

    run(body)
    assert RoomMessage.objects.filter(room=room).count() == 1


def test_sixth_message_in_ten_seconds_is_rate_limited() -> None:
    room = live_room()
    cookie = session_cookie(UserFactory())

    async def body() -> None:
        talker = communicator(room.pk, cookie=cookie)
        await open_socket(talker)
        for index in range(5):
            await send(talker, {"type": "chat", "text": f"第{index}条"})
            assert (await next_frame(talker))["seq"] == index + 1
        await send(talker, {"type": "chat", "text": "第6条"})
        error = await next_frame(talker)
        assert error["data"]["code"] == "rate_limited"
        assert error["data"]["message"] == "You are sending messages too fast."
        assert 1 <= error["data"]["retry_after"] <= 10
        await talker.disconnect()

    run(body)
    assert RoomMessage.objects.filter(room=room).count() == 5


def test_slow_mode_allows_one_message_per_period_but_not_for_the_host() -> None:
    room = live_room(slow_mode_seconds=60)
    cookie = session_cookie(UserFactory())
    host_cookie = session_cookie(room.host)

    async def body() -> None:
        talker = communicator(room.pk, cookie=cookie)
        await open_socket(talker)
        host = communicator(room.pk, cookie=host_cookie)
        await open_socket(host)
        await send(talker, {"type": "chat", "text": "一"})
        assert (await next_frame(talker))["seq"] == 1
        await send(talker, {"type": "chat", "text": "二"})
        error = await next_frame(talker)
        assert error["data"]["code"] == "slow_mode"
        assert error["data"]["message"] == "Slow mode is on: one message every 60 seconds."
        assert 1 <= error["data"]["retry_after"] <= 60
        assert (await next_frame(host))["seq"] == 1
        for text in ("主播一", "主播二"):
            await send(host, {"type": "chat", "text": text})
        assert [(await next_frame(host))["data"]["text"] for _ in range(2)] == ["主播一", "主播二"]
        await talker.disconnect()
        await host.disconnect()

    run(body)
    assert RoomMessage.objects.filter(room=room).count() == 3


def test_muted_viewer_is_told_why_and_nothing_is_broadcast() -> None:
    room = live_room()
    viewer = UserFactory()
    RoomMuteFactory(room=room, user=viewer, reason="刷屏")
    cookie = session_cookie(viewer)

    async def body() -> None:
        talker = communicator(room.pk, cookie=cookie)
        await open_socket(talker)
        await send(talker, {"type": "chat", "text": "让我说话"})
        error = await next_frame(talker)
        assert error["data"]["code"] == "muted"
        assert error["data"]["message"] == "You are muted in this room. Reason: 刷屏"
        assert error["data"]["reason"] == "刷屏"
        await talker.disconnect()

    run(body)
    assert RoomMessage.objects.filter(room=room).count() == 0


def test_chat_after_the_room_ended_is_refused() -> None:
    room = RoomFactory(ended=True)
    cookie = session_cookie(UserFactory())

    async def body() -> None:
        talker = communicator(room.pk, cookie=cookie)
        welcome = await open_socket(talker)
        assert welcome["data"]["you"]["can_chat"] is False
        await send(talker, {"type": "chat", "text": "还在吗"})
        assert (await next_frame(talker))["data"]["code"] == "room_closed"
        await send(talker, {"type": "like", "count": 1})
        assert (await next_frame(talker))["data"]["code"] == "room_closed"
        await talker.disconnect()

    run(body)
    assert RoomMessage.objects.filter(room=room).count() == 0
