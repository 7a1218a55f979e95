"""Shapes of the cart API."""

from __future__ import annotations

from ninja import Field, Schema


class CartLineOut(Schema):
    sku_id: int
    product_id: int
    title: str
    title_en: str
    options: dict[str, str]
    cover: str
    quantity: int
    is_selected: bool
    unit_price: int
    price_when_added: int
    price_changed: bool
    available: int
    max_per_order: int
    is_sellable: bool
    can_checkout: bool


class CartOut(Schema):
    currency: str
    lines: list[CartLineOut]
    item_count: int
    selected_subtotal: int


class CartAddIn(Schema):
    sku_id: int
    quantity: int = Field(1, ge=1, le=9999)


class CartLineIn(Schema):
    quantity: int | None = Field(None, ge=0, le=9999)
    is_selected: bool | None = None


class CartSelectIn(Schema):
    sku_ids: list[int] | None = None  # None: every line
    is_selected: bool
