"""The growth API under /api/v1/growth: one router per mechanism."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["growth"])

# One add_router per mechanism, e.g. router.add_router("/points", points_router).
