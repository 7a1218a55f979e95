"""Domain events of orders; aggregate is the order number, so one order's events (and the
payments events about it) are relayed in order."""

from __future__ import annotations

from dataclasses import dataclass, field

from circlemart.core.events import DomainEvent, register_event


@dataclass(frozen=True)
class _OrderEvent(DomainEvent):
    aggregate_type = "order"

    order_number: str

    def aggregate_id(self) -> str:
        return self.order_number


@register_event
@dataclass(frozen=True)
class OrderPlaced(_OrderEvent):
    event_type = "orders.OrderPlaced"

    buyer_id: int = 0
    total: int = 0
    currency: str = "CNY"
    lines: list[dict[str, int]] = field(default_factory=list)  # sku_id, product_id, quantity
    attribution: dict[str, str] = field(default_factory=dict)


@register_event
@dataclass(frozen=True)
class OrderPaid(_OrderEvent):
    event_type = "orders.OrderPaid"

    buyer_id: int = 0
    amount: int = 0
    currency: str = "CNY"


@register_event
@dataclass(frozen=True)
class OrderCancelled(_OrderEvent):
    event_type = "orders.OrderCancelled"

    buyer_id: int = 0
    reason: str = ""
    cancelled_by: str = ""  # buyer | staff | system (unpaid in time, a group that failed…)


@register_event
@dataclass(frozen=True)
class OrderShipped(_OrderEvent):
    event_type = "orders.OrderShipped"

    buyer_id: int = 0
    carrier: str = ""
    tracking_number: str = ""


@register_event
@dataclass(frozen=True)
class OrderDelivered(_OrderEvent):
    event_type = "orders.OrderDelivered"

    buyer_id: int = 0
    delivered_by: str = ""  # buyer (confirmed receipt) | system (confirmed automatically)


@register_event
@dataclass(frozen=True)
class OrderCompleted(_OrderEvent):
    event_type = "orders.OrderCompleted"

    buyer_id: int = 0


@register_event
@dataclass(frozen=True)
class OrderRefunded(_OrderEvent):
    """Money went back to the buyer for this order (partly or fully)."""

    event_type = "orders.OrderRefunded"

    buyer_id: int = 0
    amount: int = 0
    fully: bool = False


@register_event
@dataclass(frozen=True)
class OrderAfterSalesClosed(_OrderEvent):
    """The order's after-sales window ran out with nothing open: what the buyer kept is final.
    `lines` carry, per line, what was paid for it (after discounts, before shipping) and what
    was refunded: line_id, product_id, sku_id, quantity, total, refunded_amount."""

    event_type = "orders.OrderAfterSalesClosed"

    buyer_id: int = 0
    paid_amount: int = 0
    refunded_amount: int = 0
    currency: str = "CNY"
    lines: list[dict[str, int]] = field(default_factory=list)
