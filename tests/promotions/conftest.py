"""Fixtures for promotions: the orders fixtures (buyers, SKUs, placing and paying orders) plus
coupon campaigns built the way the back office saves them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from circlemart.core import clock
from circlemart.promotions.coupons import services
from circlemart.promotions.coupons.contracts import CouponKind
from circlemart.promotions.coupons.models import CouponTemplate, ThresholdDiscount
from tests.orders.conftest import (  # noqa: F401  (fixtures re-exported for these tests)
    _webhooks_in_process,
    act,
    drain,
    make_buyer,
    make_sku,
    pay,
    place,
)

__all__ = ["claimed", "make_buyer", "make_sku", "place", "template", "threshold"]


def template(**fields: Any) -> CouponTemplate:
    """A public fixed ¥10-off coupon valid for 30 days, unless told otherwise."""
    values: dict[str, Any] = {
        "name": "满100减10",
        "name_en": "¥10 off",
        "kind": CouponKind.FIXED,
        "amount": 1000,
        "valid_until": clock.now() + timedelta(days=30),
    }
    values.update(fields)
    categories = values.pop("categories", [])
    products = values.pop("products", [])
    row = CouponTemplate(**values)
    row.full_clean(exclude=["categories", "products"])
    row.save()
    row.categories.set(categories)
    row.products.set(products)
    return row


def threshold(**fields: Any) -> ThresholdDiscount:
    values: dict[str, Any] = {
        "name": "满200减30",
        "name_en": "¥30 off ¥200",
        "min_spend": 20000,
        "amount_off": 3000,
        "starts_at": clock.now() - timedelta(days=1),
        "ends_at": clock.now() + timedelta(days=1),
    }
    values.update(fields)
    categories = values.pop("categories", [])
    products = values.pop("products", [])
    row = ThresholdDiscount(**values)
    row.full_clean(exclude=["categories", "products"])
    row.save()
    row.categories.set(categories)
    row.products.set(products)
    return row


def claimed(user_id: int, coupon_template: CouponTemplate) -> int:
    return services.coupon_claim(user_id=user_id, template_id=coupon_template.pk).id
