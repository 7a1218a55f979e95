"""Periodic coupon work (celery beat): expire coupons past their window; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from circlemart.promotions.coupons import services


@shared_task(
    name="promotions.expire_coupons", ignore_result=True, soft_time_limit=120, time_limit=150
)
def expire_coupons() -> int:
    return services.coupons_expire()
