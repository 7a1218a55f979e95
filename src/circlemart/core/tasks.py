"""Celery entry points of the shared kernel: the outbox relay and housekeeping."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from circlemart.core import clock
from circlemart.core.events import relay_pending, relay_request_clear
from circlemart.core.models import IdempotencyRecord


@shared_task(name="core.relay_outbox", ignore_result=True, soft_time_limit=120, time_limit=150)
def relay_outbox() -> int:
    # Before draining: a commit from now on enqueues the next relay (core.events coalescing).
    relay_request_clear()
    return relay_pending()


@shared_task(name="core.purge_idempotency_records", ignore_result=True)
def purge_idempotency_records() -> int:
    cutoff = clock.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
