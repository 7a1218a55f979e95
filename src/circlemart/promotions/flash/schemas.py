"""Request and response shapes of the flash-sale API; the answers are derived from the
contracts (core.contract_schemas)."""

from __future__ import annotations

from ninja import Field, Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.promotions.flash.contracts import FlashOffer, FlashOrderRef, FlashSessionView


class FlashBuyIn(InputSchema):
    quantity: int = Field(1, ge=1, le=9999)
    address_id: int | None = None


@derived_from(FlashOrderRef)
class FlashOrderOut(Schema): ...


@derived_from(FlashOffer, exclude=("sku_options",))
class FlashOfferOut(Schema): ...


@derived_from(FlashSessionView, nested={FlashOffer: FlashOfferOut})
class FlashSessionOut(Schema): ...


class FlashSessionListOut(Schema):
    items: list[FlashSessionOut]
