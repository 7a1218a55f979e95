"""The app's models module, which Django imports: it imports each mechanism's models so they
register under the app label "promotions" (their tables keep their promotions_* names)."""

from __future__ import annotations

from circlemart.promotions.bargain import models as bargain_models
from circlemart.promotions.coupons import models as coupon_models
from circlemart.promotions.flash import models as flash_models
from circlemart.promotions.group import models as group_models

# Migration 0001 names the coupon tables' currency default by this path.
default_currency = coupon_models.default_currency

__all__ = ["bargain_models", "coupon_models", "default_currency", "flash_models", "group_models"]
