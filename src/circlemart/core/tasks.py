"""Celery entry points of the shared kernel: the outbox relay and housekeeping."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from circlemart.core import clock
from circlemart.core.events import relay_while_requested, request_relay
from circlemart.core.models import IdempotencyRecord


@shared_task(name="core.relay_outbox", ignore_result=True, soft_time_limit=120, time_limit=150)
def relay_outbox(slot: int = 0) -> int:
    # At most OUTBOX_RELAY_CONCURRENCY relays drain the outbox at once, each holding a slot
    # (core.events coalescing); each hands over to a fresh task well before the time limit.
    return relay_while_requested(
        slot=slot,
        enqueue_relay=relay_outbox.delay,
        slice_seconds=settings.OUTBOX_RELAY_SLICE_SECONDS,
    )


@shared_task(name="core.sweep_outbox", ignore_result=True, soft_time_limit=120, time_limit=150)
def sweep_outbox() -> int:
    """Celery beat's safety net (an event whose relay task was lost, a handler's retry come
    due): relays only when no relay is queued or running, which would deliver them anyway."""
    slot = request_relay()
    if slot is None:
        return 0
    return relay_outbox(slot)


@shared_task(name="core.purge_idempotency_records", ignore_result=True)
def purge_idempotency_records() -> int:
    cutoff = clock.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
