"""Domain events of live rooms (aggregate: the room). Published in the transaction of the
change, relayed by the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from circlemart.core.events import DomainEvent, register_event


@dataclass(frozen=True)
class _RoomEvent(DomainEvent):
    aggregate_type = "live_room"

    room_id: int

    def aggregate_id(self) -> str:
        return str(self.room_id)


@register_event
@dataclass(frozen=True)
class RoomStateChanged(_RoomEvent):
    """scheduled → live → paused ↔ live → ended → replay, with who moved it."""

    event_type = "live.RoomStateChanged"

    from_state: str = ""
    to_state: str = ""
    actor_id: int | None = None


@register_event
@dataclass(frozen=True)
class RoomOrderRecorded(_RoomEvent):
    """A paid order placed in the room (attribution live:<room>) was counted once."""

    event_type = "live.RoomOrderRecorded"

    order_number: str = ""
    buyer_id: int = 0
    total: int = 0
    currency: str = "CNY"
