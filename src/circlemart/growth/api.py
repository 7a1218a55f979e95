"""The growth API under /api/v1/growth: one router per mechanism."""

from __future__ import annotations

from ninja import Router

from circlemart.growth.checkin.api import router as checkin_router
from circlemart.growth.distribution.api import router as distribution_router
from circlemart.growth.games.api import router as games_router
from circlemart.growth.invites.api import router as invites_router
from circlemart.growth.levels.api import router as levels_router
from circlemart.growth.mall.api import router as mall_router
from circlemart.growth.points.api import router as points_router
from circlemart.growth.tasks_centre.api import router as tasks_centre_router

router = Router(tags=["growth"])

# One add_router per mechanism, e.g. router.add_router("/points", points_router).
router.add_router("/checkin", checkin_router)
router.add_router("/games", games_router)
router.add_router("/invites", invites_router)
router.add_router("/level", levels_router)
router.add_router("/mall", mall_router)
router.add_router("/points", points_router)
router.add_router("/tasks", tasks_centre_router)
router.add_router("/distribution", distribution_router)
