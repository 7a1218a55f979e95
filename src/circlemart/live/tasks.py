"""Celery entry points of live rooms (thin: they call services with ids)."""

from __future__ import annotations

from celery import shared_task

from circlemart.live.services import rooms


@shared_task(name="live.remind_followers", ignore_result=True, soft_time_limit=120, time_limit=150)
def remind_followers() -> int:
    """Periodic (celery beat, every minute): reminders for rooms starting within 15 minutes."""
    return rooms.rooms_remind_due()


@shared_task(name="live.notify_room_live", ignore_result=True, soft_time_limit=120, time_limit=150)
def notify_room_live(room_id: int) -> int:
    return rooms.room_notify_live(room_id=room_id)
