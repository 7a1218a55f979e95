"""What crosses the flash-sale boundary: the offer a product page shows, the sessions of the
"flash sales now" page, the answer of a flash buy, and a reconciliation report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

FLASH_OPTION = "flash_item_id"  # the checkout option that asks for the flash price


@dataclass(frozen=True)
class FlashOffer:
    """One SKU's flash price in a live or upcoming session."""

    item_id: int
    session_id: int
    session_name: str
    sku_id: int
    product_id: int
    title: str
    cover: str
    sku_options: dict[str, str]
    flash_price: int
    list_price: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    is_live: bool
    flash_stock: int
    remaining: int
    per_user_limit: int

    @property
    def is_sold_out(self) -> bool:
        return self.remaining <= 0

    @property
    def is_upcoming(self) -> bool:
        return not self.is_live

    @property
    def sold_percent(self) -> int:
        if self.flash_stock <= 0:
            return 100
        return round(100 * (self.flash_stock - self.remaining) / self.flash_stock)


@dataclass(frozen=True)
class FlashSessionView:
    session_id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    is_live: bool
    offers: list[FlashOffer] = field(default_factory=list)


@dataclass(frozen=True)
class FlashOrderRef:
    """A flash buy went through: the order to pay (within the payment window)."""

    order_number: str
    item_id: int
    quantity: int
    unit_price: int
    total: int
    currency: str
    payment_deadline: datetime
    payment_url: str = ""


@dataclass(frozen=True)
class FlashDrift:
    """One item whose Redis counters disagreed with the database (the truth)."""

    item_id: int
    redis_remaining: int | None
    db_remaining: int
    buyers_repaired: int
    repaired: bool
