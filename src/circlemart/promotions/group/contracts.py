"""What crosses the group-buy boundary: the checkout options that ask for a group price, the
deals and groups pages and the API show, and the answer of opening or joining a group."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

GROUP_DEAL_OPTION = "group_deal_id"  # checkout option: open a new group of this deal
GROUP_OPTION = "group_id"  # checkout option: join this open group


@dataclass(frozen=True)
class GroupDealView:
    deal_id: int
    name: str
    sku_id: int
    product_id: int
    title: str
    cover: str
    sku_options: dict[str, str]
    group_price: int
    leader_price: int | None
    list_price: int
    currency: str
    group_size: int
    time_limit_minutes: int
    max_quantity: int
    starts_at: datetime
    ends_at: datetime
    is_live: bool
    groups_open: int = 0
    groups_succeeded: int = 0


@dataclass(frozen=True)
class GroupMemberView:
    user_id: int
    nickname: str
    avatar_url: str
    role: str
    is_paid: bool


@dataclass(frozen=True)
class GroupView:
    group_id: int
    deal_id: int
    status: str
    status_label: str
    size: int
    paid_count: int
    seats_taken: int
    seats_left: int
    filled_by_system: int
    leader_id: int
    leader_nickname: str
    leader_avatar_url: str
    opened_at: datetime | None
    expires_at: datetime | None
    finished_at: datetime | None
    members: list[GroupMemberView] = field(default_factory=list)
    viewer_status: str = ""  # the viewer's membership status, "" when not a member
    viewer_order_number: str = ""
    may_join: bool = False


@dataclass(frozen=True)
class GroupOrderRef:
    """The answer of opening or joining: the order to pay, and the group it belongs to."""

    order_number: str
    group_id: int
    role: str
    quantity: int
    unit_price: int
    total: int
    currency: str
    payment_deadline: datetime
    payment_url: str = ""


@dataclass(frozen=True)
class GroupDealCounters:
    deal_id: int
    pending: int = 0
    open: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    members_paid: int = 0
    members_refunded: int = 0
