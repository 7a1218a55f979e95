"""Demo points mall: two coupons from the demo coupon campaigns and a gift with its own stock,
and a few redemptions by shoppers with points to spare. Fixed keys: a second run adds
nothing."""

from __future__ import annotations

import random

from circlemart.accounts import selectors as account_selectors
from circlemart.core.errors import DomainError
from circlemart.growth.mall import services
from circlemart.growth.mall.contracts import ItemKind
from circlemart.growth.mall.models import MallItem
from circlemart.growth.points import selectors as points_selectors
from circlemart.promotions.coupons import selectors as coupon_selectors

# name, English name, description, coupon kind, points, stock, per-user limit
COUPON_ITEMS = (
    ("满 199 减 30 券", "¥30 off ¥199 coupon", "用积分换一张满减券", "threshold", 300, None, 2),
    ("包邮券", "Free-shipping coupon", "下单免运费", "free_shipping", 100, None, 3),
)
GIFT = ("Circlemart 帆布袋", "Circlemart tote bag", "限量周边，包邮到家", 800, 50, 1)
REDEEMERS = 8


def _template_ids() -> dict[str, int]:
    """The demo coupon campaigns by kind (the promotions seed made them)."""
    found: dict[str, int] = {}
    for coupon in coupon_selectors.claimable_coupons(viewer_id=None):
        found.setdefault(coupon.card.kind, coupon.card.template_id)
    return found


def _items() -> list[MallItem]:
    if MallItem.objects.exists():
        return list(MallItem.objects.order_by("position", "id"))
    templates = _template_ids()
    items = []
    for position, (name, name_en, description, kind, points, stock, limit) in enumerate(
        COUPON_ITEMS
    ):
        if kind not in templates:
            continue
        items.append(
            MallItem.objects.create(
                name=name,
                name_en=name_en,
                description=description,
                kind=ItemKind.COUPON,
                coupon_template_id=templates[kind],
                points_price=points,
                stock=stock,
                per_user_limit=limit,
                position=position,
            )
        )
    name, name_en, description, points, stock, limit = GIFT
    items.append(
        MallItem.objects.create(
            name=name,
            name_en=name_en,
            description=description,
            kind=ItemKind.PRODUCT,
            points_price=points,
            stock=stock,
            per_user_limit=limit,
            position=len(COUPON_ITEMS),
        )
    )
    return items


def seed_mall(*, rng: random.Random, user_ids: list[int]) -> str:
    items = _items()
    redeemed = 0
    for user_id in rng.sample(user_ids, k=min(REDEEMERS, len(user_ids))):
        item = rng.choice(items)
        if points_selectors.points_balance(user_id) < item.points_price:
            continue
        address_id = account_selectors.default_address_id(user_id)
        if item.kind == ItemKind.PRODUCT and address_id is None:
            continue
        try:
            result = services.mall_redeem(
                user_id=user_id,
                item_id=item.pk,
                address_id=address_id,
                idempotency_key="seed-mall",  # one demo redemption per shopper, ever
            )
        except DomainError:
            continue  # sold out, limit reached: the demo goes on without this one
        redeemed += int(result.was_new)
    return f"{len(items)} mall items, {redeemed} redemptions"
