"""Periodic group-buy work (celery beat): end groups whose deadline passed, and ask again for
refunds a failed group still owes."""

from __future__ import annotations

from celery import shared_task

from circlemart.promotions.group import services


@shared_task(name="promotions.expire_groups", ignore_result=True, soft_time_limit=60, time_limit=90)
def expire_groups() -> tuple[int, int]:
    """Returns (succeeded by auto-fill, failed)."""
    ended = services.groups_expire()
    services.group_refunds_retry()
    return ended
