"""Request and response shapes of the group-buy API."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class GroupOrderIn(Schema):
    quantity: int = Field(1, ge=1, le=9999)
    address_id: int | None = None


class GroupOrderOut(Schema):
    order_number: str
    group_id: int
    role: str
    quantity: int
    unit_price: int
    total: int
    currency: str
    payment_deadline: datetime
    payment_url: str
    share_url: str


class GroupDealOut(Schema):
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
    groups_open: int
    groups_succeeded: int


class GroupMemberOut(Schema):
    user_id: int
    nickname: str
    avatar_url: str
    role: str
    is_paid: bool


class GroupOut(Schema):
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
    members: list[GroupMemberOut]
    viewer_status: str
    viewer_order_number: str
    may_join: bool
    share_url: str


class GroupDealListOut(Schema):
    items: list[GroupDealOut]


class GroupDealDetailOut(Schema):
    deal: GroupDealOut
    open_groups: list[GroupOut]


class GroupListOut(Schema):
    items: list[GroupOut]
