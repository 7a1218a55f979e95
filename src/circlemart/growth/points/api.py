"""Points API (mounted by growth.api at /api/v1/growth/points): my balance with pending and
expiring points, and my history. The signed-in user's own only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from circlemart.core.pagination import PageCursor, PageLimit, page_size
from circlemart.core.web import signed_in_id
from circlemart.growth.points import selectors
from circlemart.growth.points.schemas import PointsHistoryOut, PointsSummaryOut

router = Router()


@router.get("", response=PointsSummaryOut, summary="My points: balance, pending, expiring")
def points_summary(request: HttpRequest) -> Any:
    return selectors.points_summary(signed_in_id(request))


@router.get("/history", response=PointsHistoryOut, summary="My points history, newest first")
def points_history(request: HttpRequest, cursor: PageCursor = None, limit: PageLimit = None) -> Any:
    return selectors.points_history(
        user_id=signed_in_id(request), cursor=cursor, limit=page_size(limit)
    )
