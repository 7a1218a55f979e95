"""Request and response shapes of the bargain API; the answers are derived from the contracts
(core.contract_schemas)."""

from __future__ import annotations

from ninja import Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.promotions.bargain.contracts import (
    BargainDealView,
    BargainHelper,
    BargainHelpRef,
    BargainOrderRef,
    BargainView,
)


@derived_from(BargainDealView, exclude=("sku_options",))
class BargainDealOut(Schema): ...


class BargainDealListOut(Schema):
    items: list[BargainDealOut]


@derived_from(BargainHelper)
class BargainHelperOut(Schema): ...


@derived_from(BargainView, exclude=("sku_options",), nested={BargainHelper: BargainHelperOut})
class BargainOut(Schema):
    progress_percent: int
    may_help: bool
    may_buy: bool


@derived_from(BargainHelpRef)
class BargainHelpOut(Schema):
    is_floor_reached: bool


class BargainBuyIn(InputSchema):
    address_id: int | None = None


@derived_from(BargainOrderRef)
class BargainOrderOut(Schema): ...
