"""Celery entry points of the warehouse: the periodic export and partition upkeep."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from circlemart.analytics.warehouse import duck, partitions


@shared_task(
    name="analytics.export",
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=1500,
    time_limit=1800,
)
def export_task() -> int:
    """Export new events and refresh the snapshots; a run that finds another one holding the
    lock does nothing (the other does the work)."""
    result = duck.sync()
    return result.events.rows if result is not None else 0


@shared_task(name="analytics.ensure_partitions", ignore_result=True, time_limit=300)
def ensure_partitions_task() -> int:
    """Create the event log's monthly partitions ahead (PostgreSQL; a no-op elsewhere)."""
    return len(partitions.partitions_ensure())
