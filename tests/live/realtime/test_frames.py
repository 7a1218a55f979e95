"""Bad client frames close the socket with a clear code, and nothing reaches the room."""

from __future__ import annotations

import json

import pytest

from circlemart.live.models import Room, RoomMessage
from circlemart.live.realtime.broadcast import publish
from tests.live.factories import UserFactory, live_room
from tests.live.realtime.harness import (
    REALTIME_APPS,
    communicator,
    db,
    expect_close,
    next_frame,
    open_socket,
    run,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True, available_apps=REALTIME_APPS)

BAD_FRAMES: list[tuple[str | bytes, int]] = [
    ("{not json", 4400),
    ("[1, 2]", 4400),
    ('"chat"', 4400),
    (json.dumps({"text": "no type"}), 4400),
    (json.dumps({"type": "shout", "text": "unknown type"}), 4400),
    (json.dumps({"type": ["chat"], "text": "unhashable type"}), 4400),
    (json.dumps({"type": "chat"}), 4400),
    (json.dumps({"type": "chat", "text": 42}), 4400),
    (json.dumps({"type": "like", "count": 0}), 4400),
    (json.dumps({"type": "like", "count": 51}), 4400),
    (json.dumps({"type": "like", "count": "3"}), 4400),
    (json.dumps({"type": "like", "count": True}), 4400),
    (json.dumps({"type": "delete", "seq": "1"}), 4400),
    (json.dumps({"type": "mute", "user_id": 1}), 4400),
    (json.dumps({"type": "slow_mode", "seconds": 301}), 4400),
    (json.dumps({"type": "chat", "text": "长" * 700}), 4413),  # 2,100 bytes in UTF-8
    (json.dumps({"type": "chat", "text": "x" * 2100}), 4413),
    (b"\x00binary", 4400),
]


@pytest.mark.parametrize(("payload", "code"), BAD_FRAMES)
def test_bad_frame_closes_with_its_code_and_nothing_is_broadcast(
    payload: str | bytes, code: int
) -> None:
    room = live_room()
    cookie = session_cookie(UserFactory())

    async def body() -> None:
        watcher = communicator(room.pk)
        await open_socket(watcher)
        sender = communicator(room.pk, cookie=cookie)
        await open_socket(sender)
        if isinstance(payload, bytes):
            await sender.send_to(bytes_data=payload)
        else:
            await sender.send_to(text_data=payload)
        assert await expect_close(sender) == code
        await sender.disconnect()
        # The next frame the other viewer gets is the one published after the bad frame.
        await db(publish)(room_id=room.pk, kind="announcement", payload={"text": "marker"})
        frame = await next_frame(watcher)
        assert (frame["type"], frame["seq"]) == ("announcement", 1)
        await watcher.disconnect()

    run(body)
    assert RoomMessage.objects.filter(room=room).count() == 1
    assert Room.objects.get(pk=room.pk).like_count == 0
