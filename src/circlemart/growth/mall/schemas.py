"""Request and response shapes of the points mall API, derived from the contracts
(core.contract_schemas)."""

from __future__ import annotations

from ninja import Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.growth.mall.contracts import MallItemCard, RedemptionPage, RedemptionView


@derived_from(MallItemCard)
class MallItemOut(Schema):
    is_sold_out: bool
    may_redeem: bool


class MallItemListOut(Schema):
    items: list[MallItemOut]


class RedeemIn(InputSchema):
    # A gift (kind "product") is sent to one of the caller's addresses; coupons need none.
    address_id: int | None = None


@derived_from(RedemptionView)
class RedemptionOut(Schema): ...


@derived_from(RedemptionPage, nested={RedemptionView: RedemptionOut})
class RedemptionPageOut(Schema): ...
