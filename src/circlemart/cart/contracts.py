"""What the cart shows and hands to checkout."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CartLine:
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
    available: int
    max_per_order: int
    is_sellable: bool

    @property
    def price_changed(self) -> bool:
        return self.unit_price != self.price_when_added

    @property
    def has_enough_stock(self) -> bool:
        return self.available >= self.quantity

    @property
    def can_checkout(self) -> bool:
        return self.is_sellable and self.has_enough_stock

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class CartView:
    cart_id: int | None
    currency: str
    lines: list[CartLine]

    @property
    def selected(self) -> list[CartLine]:
        return [line for line in self.lines if line.is_selected]

    @property
    def selected_subtotal(self) -> int:
        return sum(line.subtotal for line in self.selected if line.is_sellable)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)
