"""Points mall API (mounted by growth.api at /api/v1/growth/mall): items on sale, redeeming
one (send Idempotency-Key), and my redemptions."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from circlemart.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from circlemart.core.pagination import PageCursor, PageLimit, page_size
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.growth.mall import selectors, services
from circlemart.growth.mall.schemas import (
    MallItemListOut,
    RedeemIn,
    RedemptionOut,
    RedemptionPageOut,
)

router = Router(tags=["growth"])


@router.get("/items", response=MallItemListOut, auth=None, summary="Items on sale for points")
def items(request: HttpRequest) -> dict[str, Any]:
    return {"items": selectors.mall_items(viewer_id=viewer_id(request))}


@router.post(
    "/items/{item_id}/redeem",
    response={201: RedemptionOut},
    summary="Redeem an item for points",
)
def redeem(request: HttpRequest, item_id: int, payload: RedeemIn) -> Any:
    """Send an Idempotency-Key: a repeated request answers with the same redemption. A gift
    needs `address_id`. Refusals: 404 mall_item_not_found / address_not_found, 400
    address_required, 409 mall_item_not_available / mall_sold_out / mall_limit_reached /
    insufficient_points."""
    redemption = services.mall_redeem(
        user_id=signed_in_id(request),
        item_id=item_id,
        address_id=payload.address_id,
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER) or uuid.uuid4().hex,
    )
    return Status(201, redemption)


@router.get("/me/redemptions", response=RedemptionPageOut, summary="My redemptions")
def my_redemptions(request: HttpRequest, cursor: PageCursor = None, limit: PageLimit = None) -> Any:
    return selectors.my_redemptions(
        user_id=signed_in_id(request), cursor=cursor, limit=page_size(limit)
    )
