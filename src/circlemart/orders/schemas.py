"""Shapes of the orders API. Prices are never read from requests: the server prices. The answers
are derived from the price engine's contracts and the order read models (core.contract_schemas)."""

from __future__ import annotations

from ninja import Field, Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.orders.selectors import (
    AfterSalesView,
    OrderLineView,
    OrderPage,
    OrderView,
    TransitionView,
)
from circlemart.pricing.contracts import Adjustment, Quote, QuoteLine


class ItemIn(InputSchema):
    sku_id: int
    quantity: int = Field(ge=1, le=9999)


class QuoteIn(InputSchema):
    items: list[ItemIn] | None = Field(None, max_length=100)  # None: the cart's selected lines
    address_id: int | None = None
    shipping_method: str = "standard"
    coupon_ids: list[int] = Field(default_factory=list, max_length=10)  # the buyer's coupons
    # Points the buyer asks to use; the server uses at most its balance and the order's cap.
    points: int = Field(0, ge=0)


class CheckoutIn(QuoteIn):
    note: str = Field("", max_length=400)
    expected_total: int | None = Field(None, ge=0)


@derived_from(Adjustment, optional=("sku_id",))
class AdjustmentOut(Schema): ...


@derived_from(QuoteLine, exclude=("title_en", "cover", "category_path", "max_per_order"))
class QuoteLineOut(Schema):
    total: int


@derived_from(
    Quote,
    exclude=("region", "shipping_method"),
    nested={QuoteLine: QuoteLineOut, Adjustment: AdjustmentOut},
)
class QuoteOut(Schema): ...


@derived_from(OrderLineView, exclude=("list_price",))
class OrderLineOut(Schema): ...


@derived_from(TransitionView)
class TransitionOut(Schema): ...


@derived_from(AfterSalesView)
class AfterSalesOut(Schema): ...


@derived_from(
    OrderView,
    exclude=("buyer_id",),
    # "group_buy": waiting for the group to fill before shipping; documented as optional.
    optional=("fulfilment_hold",),
    nested={
        OrderLineView: OrderLineOut,
        TransitionView: TransitionOut,
        AfterSalesView: AfterSalesOut,
    },
)
class OrderOut(Schema): ...


@derived_from(OrderPage, nested={OrderView: OrderOut})
class OrderPageOut(Schema): ...


class PaymentStartIn(InputSchema):
    provider: str = Field(
        "",
        max_length=40,
        description='A name from GET /payments/methods ("" for the first one offered).',
    )


class PaymentStartOut(Schema):
    payment_id: int
    provider: str
    redirect_url: str = Field(description="Where the buyer pays (absent for QR payments).")
    qr_code: str = Field(description="What the buyer scans with the provider's app, if any.")
    status: str


class ReasonIn(InputSchema):
    reason: str = Field("", max_length=300)


class ShipIn(InputSchema):
    carrier: str = Field(max_length=40)
    tracking_number: str = Field(max_length=40)


class AfterSalesIn(InputSchema):
    kind: str
    reason: str
    detail: str = Field("", max_length=1000)
    lines: dict[int, int] | None = None  # order line id → quantity; None: everything left
    amount: int | None = None


class ApproveIn(InputSchema):
    amount: int | None = None
    restock: bool | None = None
    note: str = Field("", max_length=300)


class ReturnShipmentIn(InputSchema):
    carrier: str = Field(max_length=40)
    tracking_number: str = Field(max_length=40)
