"""What crosses the mall boundary: item kinds, fulfilment states and the read models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ItemKind(StrEnum):
    COUPON = "coupon"  # paid at once as a coupon in the wallet (growth.rewards.reward_grant)
    PRODUCT = "product"  # a gift shipped to the address given, with its own redemption stock


class Fulfilment(StrEnum):
    """A redemption's state. Coupons are ISSUED at once; gifts go PENDING → SHIPPED →
    DELIVERED, or PENDING → CANCELLED (points, stock and the per-user count come back)."""

    ISSUED = "issued"
    PENDING = "pending"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class MallItemCard:
    id: int
    name: str
    description: str
    kind: ItemKind
    points_price: int
    stock: int | None  # None: unlimited
    left: int | None
    per_user_limit: int
    redeemed_by_viewer: int  # 0 for a visitor

    @property
    def is_sold_out(self) -> bool:
        return self.left is not None and self.left <= 0

    @property
    def may_redeem(self) -> bool:
        return not self.is_sold_out and self.redeemed_by_viewer < self.per_user_limit


@dataclass(frozen=True)
class RedemptionView:
    id: int
    item_id: int
    item_name: str
    kind: ItemKind
    points: int
    status: Fulfilment
    user_coupon_id: int | None
    tracking_number: str
    created_at: datetime
    was_new: bool = False


@dataclass(frozen=True)
class RedemptionPage:
    items: list[RedemptionView]
    next_cursor: str | None
