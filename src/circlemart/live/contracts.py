"""What crosses the live app's boundary: the room as viewers and hosts read it, room cards for
lists, product and coupon cards (also the `data` of `pin` and `coupon` frames)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class RoomRole(StrEnum):
    """Who the viewer is in a room: decides what they may do and see."""

    HOST = "host"
    ASSISTANT = "assistant"
    STAFF = "staff"  # merchant staff or an administrator: manages every room
    VIEWER = "viewer"  # signed in
    ANONYMOUS = "anonymous"  # watches, may not chat

    @property
    def is_moderator(self) -> bool:
        """May mute, kick, delete and announce."""
        return self in (RoomRole.HOST, RoomRole.ASSISTANT, RoomRole.STAFF)

    @property
    def is_manager(self) -> bool:
        """May change the room: its state, products, pins, coupons, flash deals."""
        return self in (RoomRole.HOST, RoomRole.STAFF)


class Section(StrEnum):
    LIVE = "live"
    UPCOMING = "upcoming"
    REPLAY = "replay"


@dataclass(frozen=True)
class HostCard:
    id: int
    name: str
    avatar_url: str


@dataclass(frozen=True)
class RoomProductCard:
    """A product of the room, as the room's list, the pinned card and a `pin` frame show it."""

    product_id: int
    title: str
    image_url: str
    price: int  # minor units: the lowest SKU price
    currency: str
    price_display: str
    url: str
    in_stock: bool

    def as_payload(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LiveCoupon:
    """A live-only coupon of the room; `claimed` says whether the viewer holds one."""

    template_id: int
    name: str
    amount: int
    min_spend: int
    remaining: int | None
    quantity: int | None
    dropped_at: datetime | None
    claimed: bool = False

    def as_payload(self) -> dict[str, Any]:
        """The `coupon` frame's data (no per-viewer field)."""
        return {
            "template_id": self.template_id,
            "name": self.name,
            "amount": self.amount,
            "min_spend": self.min_spend,
            "remaining": self.remaining,
            "quantity": self.quantity,
        }


@dataclass(frozen=True)
class RoomView:
    id: int
    title: str
    description: str
    cover_url: str
    video_url: str
    replay_url: str
    state: str
    scheduled_start: datetime
    started_at: datetime | None
    ended_at: datetime | None
    host: HostCard
    pinned_product: RoomProductCard | None
    products: list[RoomProductCard]
    coupons: list[LiveCoupon]
    like_count: int
    last_sequence: int
    viewers: int
    slow_mode_seconds: int = 0
    peak_viewers: int = 0
    role: str = RoomRole.ANONYMOUS.value
    # Management data: only for the host, assistants and staff (empty for everyone else).
    assistant_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class RoomCard:
    """A room in a list (live now, upcoming, replays, a creator's rooms)."""

    id: int
    title: str
    cover_url: str
    state: str
    scheduled_start: datetime
    started_at: datetime | None
    ended_at: datetime | None
    host: HostCard
    viewers: int
    like_count: int
    url: str


@dataclass(frozen=True)
class LogMessage:
    """One logged frame of the room (the websocket frame shape)."""

    seq: int
    type: str
    at: datetime
    data: dict[str, Any]
