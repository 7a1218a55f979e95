"""Shapes of the cart API; the answers are derived from the contracts (core.contract_schemas)."""

from __future__ import annotations

from ninja import Field, Schema

from circlemart.cart.contracts import CartLine, CartView
from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema


@derived_from(CartLine)
class CartLineOut(Schema):
    price_changed: bool
    can_checkout: bool


@derived_from(CartView, exclude=("cart_id",), nested={CartLine: CartLineOut})
class CartOut(Schema):
    item_count: int
    selected_subtotal: int


class CartAddIn(InputSchema):
    sku_id: int
    quantity: int = Field(1, ge=1, le=9999)


class CartLineIn(InputSchema):
    quantity: int | None = Field(None, ge=0, le=9999)
    is_selected: bool | None = None


class CartSelectIn(InputSchema):
    sku_ids: list[int] | None = None  # None: every line
    is_selected: bool
