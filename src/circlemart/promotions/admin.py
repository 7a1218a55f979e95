"""The app's admin module, which Django's admin autodiscovery imports: it imports each
mechanism's back office so their pages register."""

from __future__ import annotations

from circlemart.promotions.bargain import admin as bargain_admin
from circlemart.promotions.coupons import admin as coupon_admin
from circlemart.promotions.flash import admin as flash_admin
from circlemart.promotions.group import admin as group_admin

__all__ = ["bargain_admin", "coupon_admin", "flash_admin", "group_admin"]
