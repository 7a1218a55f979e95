"""Request and response shapes of the bargain API."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class BargainDealOut(Schema):
    deal_id: int
    name: str
    sku_id: int
    product_id: int
    title: str
    cover: str
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


class BargainDealListOut(Schema):
    items: list[BargainDealOut]


class BargainHelperOut(Schema):
    sequence: int
    helper_id: int
    nickname: str
    avatar_url: str
    cut: int
    helped_at: datetime


class BargainOut(Schema):
    bargain_id: int
    deal_id: int
    deal_name: str
    starter_id: int
    starter_nickname: str
    sku_id: int
    product_id: int
    title: str
    cover: str
    currency: str
    start_price: int
    current_price: int
    floor_price: int
    helpers_needed: int
    helpers_count: int
    progress_percent: int
    status: str
    started_at: datetime
    expires_at: datetime
    buy_only_at_floor: bool
    viewer_is_starter: bool
    viewer_has_helped: bool
    may_help: bool
    may_buy: bool
    order_number: str
    helpers: list[BargainHelperOut]


class BargainHelpOut(Schema):
    bargain_id: int
    sequence: int
    cut: int
    current_price: int
    floor_price: int
    helpers_count: int
    helpers_needed: int
    currency: str
    is_floor_reached: bool


class BargainBuyIn(Schema):
    address_id: int | None = None


class BargainOrderOut(Schema):
    order_number: str
    bargain_id: int
    unit_price: int
    total: int
    currency: str
    payment_deadline: datetime
    payment_url: str
