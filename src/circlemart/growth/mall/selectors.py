"""Reads of the points mall: items on sale (with what the viewer already holds) and a
shopper's own redemptions."""

from __future__ import annotations

import json
from datetime import datetime

from django.db.models import Q, QuerySet

from circlemart.core import clock
from circlemart.core.crypto import mask_phone, mask_text
from circlemart.core.pagination import paginate
from circlemart.core.text import localized
from circlemart.growth.mall.contracts import (
    Fulfilment,
    ItemKind,
    MallItemCard,
    RedemptionPage,
    RedemptionView,
)
from circlemart.growth.mall.models import MallHolding, MallItem, MallRedemption


def _on_sale(now: datetime) -> QuerySet[MallItem]:
    return (
        MallItem.objects.filter(is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    )


def _card(item: MallItem, held: int) -> MallItemCard:
    return MallItemCard(
        id=item.pk,
        name=localized(item.name, item.name_en),
        description=item.description,
        kind=ItemKind(item.kind),
        points_price=item.points_price,
        stock=item.stock,
        left=None if item.stock is None else max(0, item.stock - item.redeemed_count),
        per_user_limit=item.per_user_limit,
        redeemed_by_viewer=held,
    )


def _held(viewer_id: int | None, item_ids: list[int]) -> dict[int, int]:
    if viewer_id is None or not item_ids:
        return {}
    rows = MallHolding.objects.filter(user_id=viewer_id, item_id__in=item_ids)
    return dict(rows.values_list("item_id", "count"))


def mall_items(*, viewer_id: int | None) -> list[MallItemCard]:
    items = list(_on_sale(clock.now()).order_by("position", "id"))
    held = _held(viewer_id, [item.pk for item in items])
    return [_card(item, held.get(item.pk, 0)) for item in items]


def mall_item(*, item_id: int, viewer_id: int | None) -> MallItemCard | None:
    item = _on_sale(clock.now()).filter(pk=item_id).first()
    if item is None:
        return None
    return _card(item, _held(viewer_id, [item.pk]).get(item.pk, 0))


def redemption_view(redemption: MallRedemption, *, was_new: bool = False) -> RedemptionView:
    return RedemptionView(
        id=redemption.pk,
        item_id=redemption.item_id,
        item_name=redemption.item_name,
        kind=ItemKind(redemption.kind),
        points=redemption.points,
        status=Fulfilment(redemption.status),
        user_coupon_id=redemption.user_coupon_id,
        tracking_number=redemption.tracking_number,
        created_at=redemption.created_at,
        was_new=was_new,
    )


def my_redemptions(*, user_id: int, cursor: str | None = None, limit: int = 20) -> RedemptionPage:
    query = MallRedemption.objects.filter(user_id=user_id)
    page = paginate(query, ordering=("-created_at", "-id"), cursor=cursor, limit=limit)
    return RedemptionPage(
        items=[redemption_view(row) for row in page.items], next_cursor=page.next_cursor
    )


def shipping_address(redemption: MallRedemption, *, masked: bool) -> dict[str, str]:
    """The address a gift goes to (masked for lists, like order addresses)."""
    address: dict[str, str] = json.loads(redemption.address or "{}")
    if masked and address:
        address["recipient"] = mask_text(address.get("recipient", ""))
        address["phone"] = mask_phone(address.get("phone", ""))
        address["detail"] = mask_text(address.get("detail", ""), visible=4)
    return address
