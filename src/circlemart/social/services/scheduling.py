"""Work scheduled after the transaction commits (Celery tasks take ids, never objects)."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def after_commit(task_name: str, **kwargs: Any) -> None:
    """Enqueue `social.tasks.<task_name>` once the surrounding transaction commits."""

    def enqueue() -> None:
        from circlemart.social import tasks  # tasks import services: resolve at call time

        getattr(tasks, task_name.removeprefix("social.")).delay(**kwargs)

    transaction.on_commit(enqueue, robust=True)
