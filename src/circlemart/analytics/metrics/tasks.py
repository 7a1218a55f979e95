"""Celery entry point of the metrics room: the hourly rollup of yesterday and today."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from circlemart.analytics.metrics import services


@shared_task(
    name="analytics.rollup",
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=1500,
    time_limit=1800,
)
def rollup_task() -> int:
    """Sync the warehouse, then recompute yesterday's and today's daily metrics."""
    return services.analytics_rollup_recent()
