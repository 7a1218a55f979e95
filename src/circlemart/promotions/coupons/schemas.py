"""Request and response shapes of the coupons API. Field rules live in the services, so their
(translated) messages are the ones callers see; the answers are derived from the contracts
(core.contract_schemas)."""

from __future__ import annotations

from ninja import Field, Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.promotions.coupons.contracts import (
    BestCoupons,
    ClaimableCoupon,
    CouponCard,
    CouponRef,
)
from circlemart.promotions.coupons.selectors import MyCouponPage


@derived_from(CouponCard)
class CouponCardOut(Schema): ...


@derived_from(ClaimableCoupon, nested={CouponCard: CouponCardOut})
class ClaimableOut(Schema):
    may_claim: bool
    is_sold_out: bool


class ClaimableListOut(Schema):
    items: list[ClaimableOut]


@derived_from(CouponRef)
class ClaimedOut(Schema): ...


class RedeemIn(InputSchema):
    code: str = Field(max_length=64)


@derived_from(MyCouponPage, nested={CouponCard: CouponCardOut})
class MyCouponPageOut(Schema): ...


class BasketItemIn(InputSchema):
    sku_id: int
    quantity: int = Field(ge=1, le=9999)


class BasketIn(InputSchema):
    items: list[BasketItemIn] = Field(min_length=1, max_length=100)
    address_id: int | None = None
    shipping_method: str = "standard"


@derived_from(BestCoupons)
class BestOut(Schema): ...
