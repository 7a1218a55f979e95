"""The price engine's vocabulary: what goes in (items), what comes out (a quote that explains
every amount). All amounts are integer minor units of one currency."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Stage(StrEnum):
    """The documented order in which rules apply; each stage sees the result of the previous.

    catalogue (flash/group/member prices replace the unit price) → line (per-line discounts)
    → order (basket-wide: thresholds, coupons) → shipping (fee, free-shipping rules)."""

    CATALOGUE = "catalogue"
    LINE = "line"
    ORDER = "order"
    SHIPPING = "shipping"


STAGE_ORDER = (Stage.CATALOGUE, Stage.LINE, Stage.ORDER, Stage.SHIPPING)


@dataclass(frozen=True)
class QuoteItem:
    sku_id: int
    quantity: int


@dataclass(frozen=True)
class QuoteLine:
    sku_id: int
    product_id: int
    title: str
    title_en: str
    options: dict[str, str]
    cover: str
    category_path: str
    list_price: int  # the catalogue price of one unit
    unit_price: int  # after catalogue-stage rules
    quantity: int
    discount: int  # taken off this line by line- and order-stage rules (allocated)
    max_per_order: int

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.quantity

    @property
    def total(self) -> int:
        return self.subtotal - self.discount


@dataclass(frozen=True)
class Adjustment:
    """One explained change: `amount` minor units taken off (never negative)."""

    stage: Stage
    rule: str  # stable code, e.g. "shipping.free_over" or "coupon:42"
    label: str  # what the shopper reads
    amount: int
    sku_id: int | None = None  # a line-stage adjustment names its line


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: list[QuoteLine]
    region: str
    shipping_method: str
    list_subtotal: int  # units × catalogue prices
    subtotal: int  # units × unit prices (after catalogue-stage rules)
    discount_total: int  # line- and order-stage discounts
    shipping_base: int  # the fee before shipping-stage rules
    shipping_fee: int
    total: int
    adjustments: list[Adjustment] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class PricingContext:
    """What a rule sees and may change while a quote is computed."""

    buyer_id: int | None
    region: str
    shipping_method: str
    currency: str
    lines: list[QuoteLine]
    shipping_fee: int
    adjustments: list[Adjustment]
    options: dict[str, Any]  # e.g. {"coupon_ids": [...]} from checkout

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)


class PricingRule(Protocol):
    """A pluggable rule (promotions registers its own). It must never raise the total above
    what it found, and must record each change it makes as an Adjustment."""

    code: str
    stage: Stage
    priority: int  # within a stage, lower runs first; ties by code

    def apply(self, context: PricingContext) -> None: ...


@dataclass(frozen=True)
class PlacedOrder:
    """What a commit hook learns when an order is written from a quote."""

    order_number: str
    buyer_id: int
    quote: Quote
    options: dict[str, Any]


class CommitHook(Protocol):
    """Runs inside the order's transaction, after its lines are written: the place to use up
    what the quote relied on (a coupon, a flash-sale unit) so that the database refuses a
    second use and the whole order rolls back with it. Raise a DomainError to refuse."""

    code: str

    def on_order_placed(self, placed: PlacedOrder) -> None: ...
