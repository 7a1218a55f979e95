"""Periodic bargain work (celery beat): mark bargains past their window expired. The services
treat such bargains as expired anyway; the sweep keeps statuses and counters true."""

from __future__ import annotations

from celery import shared_task

from circlemart.promotions.bargain import services


@shared_task(
    name="promotions.expire_bargains", ignore_result=True, soft_time_limit=60, time_limit=90
)
def expire_bargains() -> int:
    return services.bargains_expire()
