"""Publishing to a room: every broadcast message gets the room's next sequence number and a row
in the room's log in the caller's transaction, and reaches the room's viewers after commit."""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.core.errors import NotFound
from circlemart.live.models import Room, RoomMessage

# The channel-layer message type each viewer's consumer handles (method `live_frame`).
FRAME_EVENT = "live.frame"


def room_group(room_id: int) -> str:
    return f"live.room.{room_id}"


def _next_sequence(room_id: int) -> int:
    # A conditional UPDATE takes the room's row lock until commit: numbers are gap-free per
    # room and a reader never sees sequence n+1 committed before n.
    if not Room.objects.filter(pk=room_id).update(last_sequence=F("last_sequence") + 1):
        raise NotFound(_("Live room not found."), code="room_not_found", field="room_id")
    return int(Room.objects.filter(pk=room_id).values_list("last_sequence", flat=True).get())


def frame_of(message: RoomMessage) -> dict[str, Any]:
    """What a viewer receives for a logged message (also what a reconnecting viewer replays)."""
    return {
        "type": message.kind,
        "seq": message.sequence,
        "at": message.created_at.isoformat(),
        "data": message.payload,
    }


def publish(
    *, room_id: int, kind: str, payload: dict[str, Any], user_id: int | None = None
) -> dict[str, Any]:
    """Log a message in the room and send it to every viewer once the transaction commits."""
    with transaction.atomic():
        sequence = _next_sequence(room_id)
        message = RoomMessage.objects.create(
            room_id=room_id, sequence=sequence, kind=kind, user_id=user_id, payload=payload
        )
        frame = frame_of(message)
        transaction.on_commit(lambda: send_to_room(room_id, frame))
    return frame


def frame_event(frame: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message carrying a frame, encoded once here rather than once per
    viewer's connection."""
    text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
    return {"type": FRAME_EVENT, "frame": frame, "text": text}


# room id → the highest seq this process has sent to the room's group (see ticker.poll_log).
_sent_locally: dict[int, int] = {}


def sent_locally(room_id: int) -> int:
    return _sent_locally.get(room_id, 0)


def send_to_room(room_id: int, frame: dict[str, Any]) -> None:
    """Send a frame to the room's connected viewers now (sequenced frames go through publish)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(room_group(room_id), frame_event(frame))
    seq = frame.get("seq")
    if isinstance(seq, int) and seq > _sent_locally.get(room_id, 0):
        _sent_locally[room_id] = seq


# The channel-layer message type that closes a viewer's sockets (method `live_close`).
CLOSE_EVENT = "live.close"


def user_group(room_id: int, user_id: int) -> str:
    """One signed-in user's connections to one room (mute notices, kicks)."""
    return f"live.room.{room_id}.user.{user_id}"


def send_to_user(room_id: int, user_id: int, frame: dict[str, Any]) -> None:
    """Send an unsequenced frame to one user's connections to the room now."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            user_group(room_id, user_id), {"type": FRAME_EVENT, "frame": frame}
        )


def close_user(room_id: int, user_id: int, *, frame: dict[str, Any], code: int) -> None:
    """Send `frame` to the user's connections to the room, then close them with `code`."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            user_group(room_id, user_id), {"type": CLOSE_EVENT, "frame": frame, "code": code}
        )
