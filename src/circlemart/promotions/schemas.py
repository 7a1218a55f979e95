"""Request and response shapes of the promotions API. Field rules live in the services, so
their (translated) messages are the ones callers see."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class CouponCardOut(Schema):
    id: int
    template_id: int
    name: str
    kind: str
    headline: str
    condition: str
    scope_label: str
    currency: str
    status: str
    valid_from: datetime | None
    valid_until: datetime | None
    validity: str


class ClaimableOut(Schema):
    card: CouponCardOut
    remaining: int | None
    claimed_by_viewer: int
    per_user_limit: int
    may_claim: bool
    is_sold_out: bool


class ClaimableListOut(Schema):
    items: list[ClaimableOut]


class ClaimedOut(Schema):
    id: int
    template_id: int
    status: str
    valid_from: datetime
    valid_until: datetime


class RedeemIn(Schema):
    code: str = Field(max_length=64)


class MyCouponPageOut(Schema):
    items: list[CouponCardOut]
    next_cursor: str | None


class BasketItemIn(Schema):
    sku_id: int
    quantity: int = Field(ge=1, le=9999)


class BasketIn(Schema):
    items: list[BasketItemIn] = Field(min_length=1, max_length=100)
    address_id: int | None = None
    shipping_method: str = "standard"


class BestOut(Schema):
    coupon_ids: list[int]
    saving: int
    total: int
    currency: str
