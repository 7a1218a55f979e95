"""Shapes of the orders API. Prices are never read from requests: the server prices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class ItemIn(Schema):
    sku_id: int
    quantity: int = Field(ge=1, le=9999)


class QuoteIn(Schema):
    items: list[ItemIn] | None = Field(None, max_length=100)  # None: the cart's selected lines
    address_id: int | None = None
    shipping_method: str = "standard"
    coupon_ids: list[int] = Field(default_factory=list, max_length=10)  # the buyer's coupons


class CheckoutIn(QuoteIn):
    note: str = Field("", max_length=400)
    expected_total: int | None = Field(None, ge=0)


class AdjustmentOut(Schema):
    stage: str
    rule: str
    label: str
    amount: int
    sku_id: int | None = None


class QuoteLineOut(Schema):
    sku_id: int
    product_id: int
    title: str
    options: dict[str, str]
    list_price: int
    unit_price: int
    quantity: int
    discount: int
    total: int


class QuoteOut(Schema):
    currency: str
    lines: list[QuoteLineOut]
    list_subtotal: int
    subtotal: int
    discount_total: int
    shipping_base: int
    shipping_fee: int
    total: int
    adjustments: list[AdjustmentOut]


class OrderLineOut(Schema):
    id: int
    sku_id: int
    product_id: int
    title: str
    title_en: str
    options: dict[str, str]
    cover: str
    unit_price: int
    quantity: int
    discount: int
    total: int
    refunded_quantity: int
    refunded_amount: int


class TransitionOut(Schema):
    from_status: str
    to_status: str
    actor_kind: str
    reason: str
    at: datetime


class AfterSalesOut(Schema):
    id: int
    kind: str
    reason: str
    detail: str
    amount: int
    status: str
    merchant_note: str
    lines: dict[str, int]
    photos: list[str]
    created_at: datetime


class OrderOut(Schema):
    number: str
    status: str
    currency: str
    list_subtotal: int
    subtotal: int
    discount_total: int
    shipping_fee: int
    total: int
    paid_amount: int
    refunded_amount: int
    adjustments: list[dict[str, Any]]
    shipping_method: str
    address: dict[str, str]
    note: str
    carrier: str
    tracking_number: str
    placed_at: datetime
    payment_deadline: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    fulfilment_hold: str = ""  # "group_buy": waiting for the group to fill before shipping
    lines: list[OrderLineOut]
    transitions: list[TransitionOut]
    after_sales: list[AfterSalesOut]


class OrderPageOut(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class PaymentStartIn(Schema):
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


class ReasonIn(Schema):
    reason: str = Field("", max_length=300)


class ShipIn(Schema):
    carrier: str = Field(max_length=40)
    tracking_number: str = Field(max_length=40)


class AfterSalesIn(Schema):
    kind: str
    reason: str
    detail: str = Field("", max_length=1000)
    lines: dict[int, int] | None = None  # order line id → quantity; None: everything left
    amount: int | None = None


class ApproveIn(Schema):
    amount: int | None = None
    restock: bool | None = None
    note: str = Field("", max_length=300)


class ReturnShipmentIn(Schema):
    carrier: str = Field(max_length=40)
    tracking_number: str = Field(max_length=40)
