"""Promotions API (mounted by circlemart.config.api at /api/v1/promotions): the claim centre,
claiming and redeeming coupons (send Idempotency-Key; rate limited), my coupons, and the best
combination of my coupons for a basket; flash sales now and the flash buy (send
Idempotency-Key; rate limited per user and per IP)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from circlemart.accounts import selectors as account_selectors
from circlemart.core import idempotency
from circlemart.core.errors import DomainError, NotFound, ValidationFailed
from circlemart.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from circlemart.core.pagination import page_size
from circlemart.core.ratelimit import client_ip
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.pricing.contracts import QuoteItem
from circlemart.promotions import flash_selectors, flash_services, selectors, services
from circlemart.promotions.contracts import ClaimableCoupon, CouponRef, CouponTab
from circlemart.promotions.flash_models import FlashItem
from circlemart.promotions.flash_schemas import FlashBuyIn, FlashOrderOut, FlashSessionListOut
from circlemart.promotions.schemas import (
    BasketIn,
    BestOut,
    ClaimableListOut,
    ClaimedOut,
    MyCouponPageOut,
    RedeemIn,
)

router = Router(tags=["promotions"])


def _claimable(coupon: ClaimableCoupon) -> dict[str, Any]:
    return {
        **dataclasses.asdict(coupon),
        "may_claim": coupon.may_claim,
        "is_sold_out": coupon.is_sold_out,
    }


def _claimed(ref: CouponRef) -> Status[Any]:
    return Status(201, dataclasses.asdict(ref))


@router.get(
    "/coupons", response=ClaimableListOut, auth=None, summary="Coupons open for claiming now"
)
def claimable(request: HttpRequest) -> dict[str, Any]:
    coupons = selectors.claimable_coupons(viewer_id=viewer_id(request))
    return {"items": [_claimable(coupon) for coupon in coupons]}


@router.post("/coupons/{template_id}/claim", response={201: ClaimedOut}, summary="Claim a coupon")
def claim(request: HttpRequest, template_id: int) -> Status[Any]:
    return _claimed(services.coupon_claim(user_id=signed_in_id(request), template_id=template_id))


@router.post("/redeem", response={201: ClaimedOut}, summary="Redeem a coupon code")
def redeem(request: HttpRequest, payload: RedeemIn) -> Status[Any]:
    return _claimed(services.coupon_redeem(user_id=signed_in_id(request), code=payload.code))


@router.get("/me/coupons", response=MyCouponPageOut, summary="My coupons: usable, used, expired")
def my_coupons(
    request: HttpRequest,
    tab: str = CouponTab.USABLE,
    cursor: str | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    if tab not in CouponTab.values:
        raise ValidationFailed(_("Unknown tab."), field="tab")
    page = selectors.my_coupons(
        owner_id=signed_in_id(request), tab=tab, cursor=cursor, limit=page_size(limit)
    )
    return dataclasses.asdict(page)


@router.post(
    "/best", response=BestOut, summary="The best combination of my coupons for these items"
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


@router.get(
    "/flash",
    response=FlashSessionListOut,
    auth=None,
    summary="Flash-sale sessions: live now and starting within a week",
)
def flash_sessions(request: HttpRequest) -> dict[str, Any]:
    return {"items": [dataclasses.asdict(view) for view in flash_selectors.flash_sessions_now()]}


# The flash buy decides before it claims its Idempotency-Key (see core.idempotency): most
# attempts of a flash sale are refusals, and a refusal that wrote nothing records nothing.
FLASH_BUY_URL_NAME = "promotions_flash_buy"
idempotency.claimed_by_view(f"api-v1:{FLASH_BUY_URL_NAME}")


@router.post(
    "/flash/{item_id}/buy",
    response={201: FlashOrderOut},
    url_name=FLASH_BUY_URL_NAME,
    summary="Buy a flash item now (one order at the flash price, to pay in the window)",
)
def flash_buy(request: HttpRequest, item_id: int, payload: FlashBuyIn) -> Any:
    """Send an Idempotency-Key: a repeated request answers with the same order. Refusals:
    404 flash_not_found, 409 flash_not_started / flash_ended / flash_sold_out /
    flash_not_enough_left / flash_limit_reached, 400 quantity_limit, 429 rate_limited."""
    buyer_id = signed_in_id(request)
    item: FlashItem | None
    try:
        item = flash_services.flash_buy_check(
            buyer_id=buyer_id, item_id=item_id, quantity=payload.quantity, ip=client_ip(request)
        )
    except DomainError:
        # Refused before anything was written, so nothing is recorded for the key — unless a
        # copy of this request claimed it before: then its answer is this one's (below).
        if not idempotency.key_was_claimed(request):
            raise
        item = None
    earlier = idempotency.claim(request)
    if earlier is not None:
        return earlier  # the first answer replayed, or a 409 about the key
    ref = flash_services.flash_buy_place(
        buyer_id=buyer_id,
        # a claim taken over from a crashed copy: the order it may have placed is answered
        # (same key, same order), else the commit hook refuses again
        item=item or flash_services.flash_item(item_id),
        quantity=payload.quantity,
        address_id=payload.address_id,
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
        return_url="/orders/{number}/",
    )
    return Status(201, dataclasses.asdict(ref))


from circlemart.promotions.group_api import router as group_router  # noqa: E402

router.add_router("/groups", group_router)

from circlemart.promotions.bargain_api import router as bargain_router  # noqa: E402

router.add_router("/bargains", bargain_router)
