"""Periodic jobs of growth (celery beat): each mechanism's tasks module, imported here so
autodiscovery finds them."""

from __future__ import annotations

# One import per mechanism with periodic jobs.
from circlemart.growth.distribution import tasks as distribution_tasks  # noqa: F401
from circlemart.growth.levels import tasks as levels_tasks  # noqa: F401
from circlemart.growth.points import tasks as points_tasks  # noqa: F401
