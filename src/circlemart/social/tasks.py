"""Celery entry points of social: thin wrappers around services, taking ids."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from circlemart.social import services

_RETRY = {
    "autoretry_for": (OperationalError, ConnectionError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(
    name="social.fan_out_note", ignore_result=True, soft_time_limit=240, time_limit=300, **_RETRY
)
def fan_out_note(note_id: int) -> int:
    return services.note_fan_out(note_id)


# Whoever sets time_limit sets soft_time_limit below it: Celery refuses to send a task whose
# soft limit (else the global 240 s) exceeds its hard one (tests/config/test_task_options.py).
@shared_task(
    name="social.feed_backfill_author",
    ignore_result=True,
    soft_time_limit=50,
    time_limit=60,
    **_RETRY,
)
def feed_backfill_author(user_id: int, author_id: int) -> None:
    services.feed_backfill_author(user_id=user_id, author_id=author_id)


@shared_task(
    name="social.feed_forget_author",
    ignore_result=True,
    soft_time_limit=50,
    time_limit=60,
    **_RETRY,
)
def feed_forget_author(user_id: int, author_id: int) -> None:
    services.feed_forget_author(user_id=user_id, author_id=author_id)


@shared_task(name="social.recompute_trending", ignore_result=True, time_limit=600)
def recompute_trending() -> int:
    return services.trending_recompute()
