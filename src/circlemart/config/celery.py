"""The Celery app. With CELERY_BROKER_URL (amqp:// or redis://) it uses that broker; without
it, the embedded broker (circlemart.config.embedded_broker: message files under the data dir,
written atomically, redelivered if a worker dies), which the worker that `circlemart serve`
starts and restarts beside the web server consumes. Tasks really run in that worker.

Configuration is read lazily (celery_settings) so importing this module never touches Django
settings; `circlemart.config` imports it so every process sends tasks through this app.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circlemart.config.settings")

app = Celery("circlemart")
app.config_from_object("circlemart.config.celery_settings")
app.autodiscover_tasks(
    [
        "circlemart.core",
        "circlemart.accounts",
        "circlemart.social",
        "circlemart.search",
        "circlemart.moderation",
        "circlemart.notifications",
        "circlemart.cart",
        "circlemart.orders",
        "circlemart.payments",
        "circlemart.promotions",
        "circlemart.reviews",
        "circlemart.analytics.dashboards",
        "circlemart.analytics.warehouse",
        "circlemart.analytics.goals",
        "circlemart.analytics.metrics",
        "circlemart.growth",
        "circlemart.live",
        "circlemart.recommend",
    ]
)


def is_embedded_broker() -> bool:
    from django.conf import settings

    return not settings.CELERY_BROKER_URL


@task_postrun.connect
def give_back_database_connections(task: Any = None, **kwargs: Any) -> None:
    """After a task, what Django does after a request: a connection goes back to the pool, or
    is closed if it broke or outlived CONN_MAX_AGE (Celery's fix-up no longer closes them all;
    see CELERY_DB_REUSE_MAX). Not for eager tasks, which run inside their caller's request."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
