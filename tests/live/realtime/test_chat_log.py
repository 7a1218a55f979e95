"""The chat log read by the replay page and the messages API."""

from __future__ import annotations

import pytest

from circlemart.live.selectors.chat import chat_log, frames_after
from tests.live.factories import RoomMessageFactory, live_room

pytestmark = pytest.mark.django_db


def test_chat_log_is_in_order_without_deleted_messages() -> None:
    room = live_room()
    other = live_room()
    first = RoomMessageFactory(room=room)
    RoomMessageFactory(room=room, is_deleted=True)
    RoomMessageFactory(room=other)
    third = RoomMessageFactory(room=room, kind="announcement", payload={"text": "包邮"}, user=None)
    fourth = RoomMessageFactory(room=room)

    log = chat_log(room_id=room.pk)
    assert [f["seq"] for f in log] == [1, 3, 4]
    assert log[0] == {
        "type": "chat",
        "seq": 1,
        "at": first.created_at.isoformat(),
        "data": first.payload,
    }
    assert log[1]["data"] == {"text": "包邮"}
    assert [f["seq"] for f in chat_log(room_id=room.pk, kinds=("chat",))] == [1, 4]
    assert [f["seq"] for f in chat_log(room_id=room.pk, after_seq=1, limit=1)] == [third.sequence]
    assert chat_log(room_id=room.pk, after_seq=fourth.sequence) == []


def test_frames_after_keeps_the_numbers_of_deleted_messages() -> None:
    room = live_room()
    for _ in range(3):
        RoomMessageFactory(room=room)
    RoomMessageFactory(room=room, is_deleted=True)
    frames = frames_after(room_id=room.pk, after_seq=1, until_seq=4)
    assert [f["seq"] for f in frames] == [2, 3, 4]
    assert frames[-1]["data"] == {"deleted": True}
