"""The app's tasks module, which Celery's autodiscovery imports: it imports each mechanism's
Celery tasks so they register (task names stay "promotions.<name>")."""

from __future__ import annotations

from circlemart.promotions.bargain import tasks as bargain_tasks
from circlemart.promotions.coupons import tasks as coupon_tasks
from circlemart.promotions.flash import tasks as flash_tasks
from circlemart.promotions.group import tasks as group_tasks

__all__ = ["bargain_tasks", "coupon_tasks", "flash_tasks", "group_tasks"]
