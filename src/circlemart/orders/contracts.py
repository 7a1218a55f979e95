"""What crosses the orders boundary: statuses and the read models other apps use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDING = "refunding"
    REFUNDED = "refunded"
    CLOSED = "closed"


@dataclass(frozen=True)
class PurchaseRef:
    """A delivered (or completed) purchase of a product by a buyer: what a review hangs on."""

    order_number: str
    order_line_id: int
    product_id: int
    sku_id: int
    delivered_at: datetime


@dataclass(frozen=True)
class AnalyticsOrderLine:
    """One order line as analytics records it: `total` is what the buyer pays for it after
    line and order discounts (coupons included), before shipping, in minor units."""

    line_id: int
    product_id: int
    sku_id: int
    quantity: int
    total: int


@dataclass(frozen=True)
class AnalyticsOrder:
    """An order's money and lines for the analytics event log (no address, no names)."""

    number: str
    buyer_id: int
    currency: str
    total: int
    paid_amount: int
    refunded_amount: int
    attribution: dict[str, str]
    lines: tuple[AnalyticsOrderLine, ...]


@dataclass(frozen=True)
class OrderLineMoney:
    """What one line was paid (after line and order discounts, before shipping) and refunded."""

    line_id: int
    product_id: int
    sku_id: int
    quantity: int
    total: int
    refunded_amount: int


@dataclass(frozen=True)
class OrderMoney:
    """An order's money as growth (commission, points) settles it. Not scoped to a viewer."""

    number: str
    buyer_id: int
    status: str
    currency: str
    total: int
    shipping_fee: int
    paid_amount: int
    refunded_amount: int
    placed_at: datetime
    paid_at: datetime | None
    after_sales_closed_at: datetime | None
    attribution: dict[str, str]
    lines: tuple[OrderLineMoney, ...]


@dataclass(frozen=True)
class OrderRef:
    """Who an order belongs to, for news about it (notifications)."""

    id: int
    number: str
    buyer_id: int
    currency: str
