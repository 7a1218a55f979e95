"""Request and response shapes of the flash-sale API."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class FlashBuyIn(Schema):
    quantity: int = Field(1, ge=1, le=9999)
    address_id: int | None = None


class FlashOrderOut(Schema):
    order_number: str
    item_id: int
    quantity: int
    unit_price: int
    total: int
    currency: str
    payment_deadline: datetime
    payment_url: str


class FlashOfferOut(Schema):
    item_id: int
    session_id: int
    session_name: str
    sku_id: int
    product_id: int
    title: str
    cover: str
    flash_price: int
    list_price: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    is_live: bool
    flash_stock: int
    remaining: int
    per_user_limit: int


class FlashSessionOut(Schema):
    session_id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    is_live: bool
    offers: list[FlashOfferOut]


class FlashSessionListOut(Schema):
    items: list[FlashSessionOut]
