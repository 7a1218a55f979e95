"""Periodic flash-sale work (celery beat): reconcile Redis with the database."""

from __future__ import annotations

from celery import shared_task

from circlemart.promotions.flash import services


@shared_task(
    name="promotions.reconcile_flash_stock", ignore_result=True, soft_time_limit=60, time_limit=90
)
def reconcile_flash_stock() -> int:
    """Returns how many items were repaired."""
    return sum(1 for drift in services.flash_reconcile() if drift.repaired)
