"""Promotions API, mounted by circlemart.config.api at /api/v1/promotions: each mechanism's
router under it (coupons at the root, /flash, /groups, /bargains)."""

from __future__ import annotations

from ninja import Router

from circlemart.promotions.bargain.api import router as bargain_router
from circlemart.promotions.coupons.api import router as coupon_router
from circlemart.promotions.flash.api import router as flash_router
from circlemart.promotions.group.api import router as group_router

router = Router(tags=["promotions"])
router.add_router("", coupon_router)
router.add_router("/flash", flash_router)
router.add_router("/groups", group_router)
router.add_router("/bargains", bargain_router)
