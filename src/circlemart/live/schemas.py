"""Request and response shapes of the live API. Field rules live in the services (their
translated messages and codes are what callers see); answers derive from live.contracts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.live.contracts import (
    HostCard,
    LiveCoupon,
    LogMessage,
    RoomCard,
    RoomProductCard,
    RoomView,
)
from circlemart.promotions.coupons.contracts import CouponRef


@derived_from(HostCard)
class HostOut(Schema): ...


@derived_from(RoomProductCard)
class RoomProductOut(Schema): ...


@derived_from(LiveCoupon)
class LiveCouponOut(Schema): ...


@derived_from(
    RoomView,
    nested={HostCard: HostOut, RoomProductCard: RoomProductOut, LiveCoupon: LiveCouponOut},
)
class RoomOut(Schema): ...


@derived_from(RoomCard, nested={HostCard: HostOut})
class RoomCardOut(Schema): ...


class RoomListOut(Schema):
    items: list[RoomCardOut]


class MessageOut(Schema):
    seq: int
    type: str
    at: datetime
    data: dict[str, Any]


class MessagePageOut(Schema):
    items: list[MessageOut]
    last_seq: int  # the highest number in this page (or after_seq when empty)
    has_more: bool


class RoomCreatedOut(Schema):
    id: int


@derived_from(CouponRef)
class CouponClaimedOut(Schema): ...


class CouponCreatedOut(Schema):
    template_id: int


class FlashCreatedOut(Schema):
    item_id: int


# --- inputs (bounds a little above the services' so their messages and codes answer) ----------


# An ISO 8601 date-time is far shorter; the bound documents it for clients and fuzzers.
BoundedDatetime = Annotated[datetime, Field(json_schema_extra={"maxLength": 64})]


class RoomIn(InputSchema):
    title: str = Field(max_length=200)
    scheduled_start: BoundedDatetime
    description: str = Field("", max_length=4000)
    video_url: str = Field("", max_length=1000)
    product_ids: list[int] = Field(default_factory=list, max_length=100)
    assistant_ids: list[int] = Field(default_factory=list, max_length=50)


class RoomPatchIn(InputSchema):
    title: str | None = Field(None, max_length=200)
    scheduled_start: BoundedDatetime | None = None
    description: str | None = Field(None, max_length=4000)
    video_url: str | None = Field(None, max_length=1000)
    product_ids: list[int] | None = Field(None, max_length=100)
    assistant_ids: list[int] | None = Field(None, max_length=50)


class ReplayIn(InputSchema):
    replay_url: str = Field("", max_length=1000)


class PinIn(InputSchema):
    product_id: int | None


class CouponIn(InputSchema):
    name: str = Field(max_length=200)
    amount: int
    min_spend: int = 0
    quantity: int
    valid_days: int = 7


class FlashIn(InputSchema):
    product_id: int
    sku_id: int
    price: int
    quantity: int
    minutes: int


class AnnouncementIn(InputSchema):
    text: str = Field(max_length=1000)


def log_message_out(message: LogMessage) -> dict[str, Any]:
    return {"seq": message.seq, "type": message.type, "at": message.at, "data": message.data}
