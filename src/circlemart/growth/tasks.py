"""Periodic jobs of growth (celery beat): each mechanism's tasks module, imported here so
autodiscovery finds them."""

from __future__ import annotations

# One import per mechanism with periodic jobs.
