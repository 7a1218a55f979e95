"""Periodic jobs of points (celery beat): expiring due lots and warning before they expire.
Both are safe to run twice at once and to cut off anywhere (points/expiry.py)."""

from __future__ import annotations

from celery import shared_task

from circlemart.growth.points import expiry


@shared_task(name="growth.points_expire", ignore_result=True, soft_time_limit=540, time_limit=600)
def expire_points() -> int:
    return expiry.points_expire_due()


@shared_task(
    name="growth.points_warn_expiring", ignore_result=True, soft_time_limit=540, time_limit=600
)
def warn_expiring_points() -> int:
    return expiry.points_warn_expiring()
