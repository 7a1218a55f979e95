"""Reads for the room's chat and its websocket: the message log (replay and reconnect), who may
moderate, who is muted, how many are watching."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from circlemart.accounts import selectors as accounts_selectors
from circlemart.core import clock
from circlemart.live.models import (
    Room,
    RoomMessage,
    RoomMute,
    RoomState,
    ViewerSession,
)
from circlemart.live.realtime.broadcast import frame_of
from circlemart.live.selectors.rooms import room_role

MODERATOR_ROLES = frozenset({"host", "assistant", "staff"})
CHAT_OPEN_STATES = frozenset({RoomState.SCHEDULED, RoomState.LIVE, RoomState.PAUSED})


@dataclass(frozen=True)
class MuteView:
    reason: str
    until: datetime | None
    is_kicked: bool

    def as_frame_data(self) -> dict[str, Any]:
        return {"reason": self.reason, "until": self.until.isoformat() if self.until else None}


@dataclass(frozen=True)
class RoomSnapshot:
    """What a connection needs of the room when it opens (the welcome frame's `room`)."""

    id: int
    state: str
    title: str
    pinned_product_id: int | None
    like_count: int
    slow_mode_seconds: int
    last_sequence: int

    def as_frame_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "title": self.title,
            "pinned_product_id": self.pinned_product_id,
            "like_count": self.like_count,
            "slow_mode_seconds": self.slow_mode_seconds,
        }


def room_snapshot(*, room_id: int) -> RoomSnapshot | None:
    row = (
        Room.objects.filter(pk=room_id)
        .values_list(
            "id",
            "state",
            "title",
            "pinned_product_id",
            "like_count",
            "slow_mode_seconds",
            "last_sequence",
        )
        .first()
    )
    if row is None:
        return None
    return RoomSnapshot(*row)


def _redacted(message: RoomMessage) -> dict[str, Any]:
    frame = frame_of(message)
    if message.is_deleted:
        # The number stays (clients must see no gap), the words do not.
        frame["data"] = {"deleted": True}
    return frame


def frames_after(
    *, room_id: int, after_seq: int, until_seq: int | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Logged frames with after_seq < seq (<= until_seq), in order, deleted ones redacted: what a
    reconnecting viewer is owed. Continuous numbering: callers page with the last seq."""
    messages = RoomMessage.objects.filter(room_id=room_id, sequence__gt=after_seq)
    if until_seq is not None:
        messages = messages.filter(sequence__lte=until_seq)
    return [_redacted(message) for message in messages.order_by("sequence")[:limit]]


def chat_log(
    *, room_id: int, after_seq: int = 0, limit: int = 500, kinds: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The room's log for the replay page and the messages API: frames in order, deleted
    messages left out (optionally only some kinds, e.g. ("chat",))."""
    messages = RoomMessage.objects.filter(room_id=room_id, sequence__gt=after_seq, is_deleted=False)
    if kinds:
        messages = messages.filter(kind__in=kinds)
    return [frame_of(message) for message in messages.order_by("sequence")[:limit]]


def chat_role(*, room_id: int, user_id: int | None) -> str:
    """host | assistant | staff | viewer | anonymous (NotFound for an unknown room)."""
    return room_role(room_id=room_id, user_id=user_id)


def is_moderator_role(role: str) -> bool:
    return role in MODERATOR_ROLES


def active_mute(*, room_id: int, user_id: int) -> MuteView | None:
    """The user's mute (or kick) in the room, if it still holds."""
    row = (
        RoomMute.objects.filter(room_id=room_id, user_id=user_id)
        .filter(Q(until__isnull=True) | Q(until__gt=clock.now()))
        .values_list("reason", "until", "is_kicked")
        .first()
    )
    if row is None:
        return None
    return MuteView(reason=row[0], until=row[1], is_kicked=row[2])


def viewers_count(*, room_id: int) -> int:
    """Distinct viewers with an open connection to the room."""
    return (
        ViewerSession.objects.filter(room_id=room_id, left_at__isnull=True)
        .values("visitor_key")
        .distinct()
        .count()
    )


def display_name(*, user_id: int) -> tuple[str, str]:
    """(name, avatar_url) shown beside a user's chat messages."""
    card = accounts_selectors.user_cards([user_id]).get(user_id)
    if card is None:
        return "", ""
    return card.nickname, card.avatar_url
