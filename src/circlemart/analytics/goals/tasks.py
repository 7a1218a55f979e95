"""Celery entry point of growth goals: the daily evaluation, after the metrics rollup."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from circlemart.analytics.goals import services


@shared_task(
    name="analytics.goals_evaluate",
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=240,
    time_limit=300,
)
def goals_evaluate_task() -> int:
    """Evaluate every running goal; safe to repeat (a status change is announced once)."""
    return len(services.goals_evaluate_all())
