"""Celery entry points of recommendations (thin: they call the training services)."""

from __future__ import annotations

from celery import shared_task

from circlemart.recommend.serving.session_store import trail_prune
from circlemart.recommend.training.schedule import retrain_scheduled


@shared_task(name="recommend.retrain", ignore_result=True, soft_time_limit=1800, time_limit=1900)
def retrain(force: bool = False) -> str:
    """Periodic (celery beat, daily at 03:30 local), or "Train now" (force): train, and switch
    if not worse."""
    return retrain_scheduled(force=force).reason


@shared_task(name="recommend.prune_session_trails", ignore_result=True, time_limit=300)
def prune_session_trails() -> int:
    """Periodic (every 10 minutes): forget what abandoned sessions looked at."""
    return trail_prune()
