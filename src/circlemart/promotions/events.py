"""Domain events of promotions; growth, analytics and risk consume them. Aggregate: the user
coupon, so one coupon's claim, use and return are relayed in order. Keep field names stable
(add fields with defaults rather than renaming)."""

from __future__ import annotations

from dataclasses import dataclass, field

from circlemart.core.events import DomainEvent, register_event


@dataclass(frozen=True)
class _CouponEvent(DomainEvent):
    aggregate_type = "user_coupon"

    user_coupon_id: int
    template_id: int
    owner_id: int

    def aggregate_id(self) -> str:
        return str(self.user_coupon_id)


@register_event
@dataclass(frozen=True)
class CouponClaimed(_CouponEvent):
    """A shopper claimed a coupon (in the claim centre, or by a code: `code_id`)."""

    event_type = "promotions.CouponClaimed"

    code_id: int | None = None


@register_event
@dataclass(frozen=True)
class CouponUsed(_CouponEvent):
    """An order was placed with the coupon (same transaction as the order)."""

    event_type = "promotions.CouponUsed"

    order_number: str = ""
    amount: int = 0  # minor units it took off the order


@register_event
@dataclass(frozen=True)
class CouponReturned(_CouponEvent):
    """The coupon's order was cancelled or fully refunded; the coupon is usable again (or
    expired, when its window has passed: `is_expired`)."""

    event_type = "promotions.CouponReturned"

    order_number: str = ""
    reason: str = ""  # "cancelled" | "refunded"
    is_expired: bool = False


@register_event
@dataclass(frozen=True)
class FlashSaleSoldOut(DomainEvent):
    """The last unit of a flash item was taken (same transaction as the order that took it).
    Units released by unpaid orders can sell again, so an item may sell out more than once."""

    event_type = "promotions.FlashSaleSoldOut"
    aggregate_type = "flash_item"

    item_id: int
    session_id: int = 0
    sku_id: int = 0
    flash_stock: int = 0
    order_number: str = ""

    def aggregate_id(self) -> str:
        return str(self.item_id)


@dataclass(frozen=True)
class _GroupEvent(DomainEvent):
    aggregate_type = "group"

    group_id: int
    deal_id: int = 0
    leader_id: int = 0
    size: int = 0

    def aggregate_id(self) -> str:
        return str(self.group_id)


@register_event
@dataclass(frozen=True)
class GroupJoined(_GroupEvent):
    """A member's payment counted: `paid_count` of `size` seats are paid now."""

    event_type = "promotions.GroupJoined"

    member_id: int = 0
    paid_count: int = 0


@register_event
@dataclass(frozen=True)
class GroupSucceeded(_GroupEvent):
    """A group filled up (or was filled by the system at its deadline: `filled_by_system`);
    its members' orders may ship now."""

    event_type = "promotions.GroupSucceeded"

    member_ids: list[int] = field(default_factory=list)
    order_numbers: list[str] = field(default_factory=list)
    filled_by_system: int = 0


@register_event
@dataclass(frozen=True)
class GroupFailed(_GroupEvent):
    """A group's deadline passed short of its size; every paid member is refunded (the
    handler of this event asks for the refunds, idempotently)."""

    event_type = "promotions.GroupFailed"

    paid_count: int = 0
    member_ids: list[int] = field(default_factory=list)
    order_numbers: list[str] = field(default_factory=list)


@register_event
@dataclass(frozen=True)
class BargainCompleted(DomainEvent):
    """A bargain reached its floor price with its last helper's cut (same transaction as that
    cut). The starter may now buy it at `final_price` within the bargain's window."""

    event_type = "promotions.BargainCompleted"
    aggregate_type = "bargain"

    bargain_id: int
    deal_id: int = 0
    starter_id: int = 0
    final_price: int = 0
    currency: str = "CNY"

    def aggregate_id(self) -> str:
        return str(self.bargain_id)
