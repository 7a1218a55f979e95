"""What crosses the bargain (砍价) boundary: the statuses, the deal a page shows, a bargain with
its helpers, and the answers of starting, helping and buying."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

BARGAIN_OPTION = "bargain_id"  # the checkout option that asks for the bargain's price
MAX_HELPERS = 100
MAX_DURATION_HOURS = 30 * 24


class BargainStatus(models.TextChoices):
    """active (friends cut) → reached (at the floor, no more cuts) → purchased (an order holds
    it; back to active/reached if that order is cancelled unpaid within the window) — or
    expired (the window passed without a purchase)."""

    ACTIVE = "active", _("Collecting help")
    REACHED = "reached", _("Floor price reached")
    PURCHASED = "purchased", _("Bought")
    EXPIRED = "expired", _("Expired")


LIVE_STATUSES = (BargainStatus.ACTIVE, BargainStatus.REACHED)


@dataclass(frozen=True)
class BargainDealView:
    """A bargain deal as shoppers see it."""

    deal_id: int
    name: str
    sku_id: int
    product_id: int
    title: str
    cover: str
    sku_options: dict[str, str]
    list_price: int
    floor_price: int
    currency: str
    helpers_needed: int
    duration_hours: int
    starts_at: datetime
    ends_at: datetime
    is_live: bool
    is_upcoming: bool
    buy_only_at_floor: bool


@dataclass(frozen=True)
class BargainHelper:
    """One friend's cut (a public face: nickname and avatar only)."""

    sequence: int
    helper_id: int
    nickname: str
    avatar_url: str
    cut: int
    helped_at: datetime


@dataclass(frozen=True)
class BargainView:
    """A bargain's share page, as one viewer sees it. `order_number` is the starter's only."""

    bargain_id: int
    deal_id: int
    deal_name: str
    starter_id: int
    starter_nickname: str
    sku_id: int
    product_id: int
    title: str
    cover: str
    sku_options: dict[str, str]
    currency: str
    start_price: int
    current_price: int
    floor_price: int
    helpers_needed: int
    helpers_count: int
    status: str  # the effective status: a live bargain past its window reads "expired"
    started_at: datetime
    expires_at: datetime
    buy_only_at_floor: bool
    viewer_is_starter: bool
    viewer_has_helped: bool
    order_number: str = ""
    helpers: list[BargainHelper] = field(default_factory=list)

    @property
    def cut_so_far(self) -> int:
        return self.start_price - self.current_price

    @property
    def left_to_cut(self) -> int:
        return self.current_price - self.floor_price

    @property
    def helpers_left(self) -> int:
        return max(self.helpers_needed - self.helpers_count, 0)

    @property
    def progress_percent(self) -> int:
        span = self.start_price - self.floor_price
        if span <= 0:
            return 100
        return min(100, (100 * self.cut_so_far) // span)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def is_floor_reached(self) -> bool:
        return self.current_price <= self.floor_price

    @property
    def may_help(self) -> bool:
        """Whether the help button makes sense for this viewer (the service decides)."""
        return (
            self.status == BargainStatus.ACTIVE
            and not self.viewer_is_starter
            and not self.viewer_has_helped
        )

    @property
    def may_buy(self) -> bool:
        if not self.viewer_is_starter or not self.is_live:
            return False
        return self.is_floor_reached or not self.buy_only_at_floor


@dataclass(frozen=True)
class BargainRef:
    """A bargain was started."""

    bargain_id: int
    deal_id: int
    start_price: int
    current_price: int
    floor_price: int
    helpers_needed: int
    currency: str
    expires_at: datetime


@dataclass(frozen=True)
class BargainHelpRef:
    """A friend's cut went through."""

    bargain_id: int
    sequence: int
    cut: int
    current_price: int
    floor_price: int
    helpers_count: int
    helpers_needed: int
    currency: str

    @property
    def is_floor_reached(self) -> bool:
        return self.current_price <= self.floor_price


@dataclass(frozen=True)
class BargainOrderRef:
    """The starter's order at the bargain price, to pay within the payment window."""

    order_number: str
    bargain_id: int
    unit_price: int
    total: int
    currency: str
    payment_deadline: datetime
    payment_url: str = ""


@dataclass(frozen=True)
class BargainCounters:
    """A deal's live counters for the back office."""

    started: int = 0
    active: int = 0
    completed: int = 0  # reached the floor (whether bought since or not)
    purchased: int = 0  # held by an order (unpaid or paid)
    paid: int = 0
    expired: int = 0
