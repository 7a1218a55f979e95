"""Coupons API (mounted by promotions.api at /api/v1/promotions): the claim centre, claiming
and redeeming coupons (send Idempotency-Key; rate limited), my coupons, and the best
combination of my coupons for a basket."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from circlemart.accounts import selectors as account_selectors
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.core.pagination import PageCursor, PageLimit, page_size
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.pricing.contracts import QuoteItem
from circlemart.promotions.coupons import selectors, services
from circlemart.promotions.coupons.contracts import CouponRef, CouponTab
from circlemart.promotions.coupons.schemas import (
    BasketIn,
    BestOut,
    ClaimableListOut,
    ClaimedOut,
    MyCouponPageOut,
    RedeemIn,
)

# Operation ids are those from before promotions was split into sub-packages, so clients
# generated from the OpenAPI schema keep their method names.
router = Router()


def _claimed(ref: CouponRef) -> Status[Any]:
    return Status(201, dataclasses.asdict(ref))


@router.get(
    "/coupons",
    response=ClaimableListOut,
    auth=None,
    summary="Coupons open for claiming now",
    operation_id="circlemart_promotions_api_claimable",
)
def claimable(request: HttpRequest) -> dict[str, Any]:
    coupons = selectors.claimable_coupons(viewer_id=viewer_id(request))
    return {"items": coupons}  # ClaimableOut reads their fields and properties


@router.post(
    "/coupons/{template_id}/claim",
    response={201: ClaimedOut},
    summary="Claim a coupon",
    operation_id="circlemart_promotions_api_claim",
)
def claim(request: HttpRequest, template_id: int) -> Status[Any]:
    return _claimed(services.coupon_claim(user_id=signed_in_id(request), template_id=template_id))


@router.post(
    "/redeem",
    response={201: ClaimedOut},
    summary="Redeem a coupon code",
    operation_id="circlemart_promotions_api_redeem",
)
def redeem(request: HttpRequest, payload: RedeemIn) -> Status[Any]:
    return _claimed(services.coupon_redeem(user_id=signed_in_id(request), code=payload.code))


@router.get(
    "/me/coupons",
    response=MyCouponPageOut,
    summary="My coupons: usable, used, expired",
    operation_id="circlemart_promotions_api_my_coupons",
)
def my_coupons(
    request: HttpRequest,
    tab: str = CouponTab.USABLE,
    cursor: PageCursor = None,
    limit: PageLimit = None,
) -> dict[str, Any]:
    if tab not in CouponTab.values:
        raise ValidationFailed(_("Unknown tab."), field="tab")
    page = selectors.my_coupons(
        owner_id=signed_in_id(request), tab=tab, cursor=cursor, limit=page_size(limit)
    )
    return dataclasses.asdict(page)


@router.post(
    "/best",
    response=BestOut,
    summary="The best combination of my coupons for these items",
    operation_id="circlemart_promotions_api_best",
)
def best(request: HttpRequest, payload: BasketIn) -> dict[str, Any]:
    buyer_id = signed_in_id(request)
    region = ""
    if payload.address_id is not None:
        address = account_selectors.address_snapshot(
            user_id=buyer_id, address_id=payload.address_id
        )
        if address is None:
            raise NotFound(_("Address not found."), code="address_not_found", field="address_id")
        region = address["province"]
    result = selectors.best_coupons(
        buyer_id=buyer_id,
        items=[QuoteItem(sku_id=item.sku_id, quantity=item.quantity) for item in payload.items],
        region=region,
        shipping_method=payload.shipping_method,
    )
    return dataclasses.asdict(result)
