"""The Celery app. With CELERY_BROKER_URL (amqp:// or redis://) it uses that broker; without
it, the embedded broker (circlemart.config.embedded_broker: message files under the data dir,
written atomically, redelivered if a worker dies), which the worker that `circlemart serve`
starts and restarts beside the web server consumes. Tasks really run in that worker.

Configuration is read lazily (celery_settings) so importing this module never touches Django
settings; `circlemart.config` imports it so every process sends tasks through this app.
"""

from __future__ import annotations

import os

from celery import Celery

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
