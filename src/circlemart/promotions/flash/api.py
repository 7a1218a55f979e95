"""Flash-sale API (mounted by promotions.api at /api/v1/promotions/flash): flash sales now and
the flash buy (send Idempotency-Key; rate limited per user and per IP)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from circlemart.core import idempotency
from circlemart.core.errors import DomainError
from circlemart.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from circlemart.core.ratelimit import client_ip
from circlemart.core.web import signed_in_id
from circlemart.promotions.flash import selectors, services
from circlemart.promotions.flash.models import FlashItem
from circlemart.promotions.flash.schemas import FlashBuyIn, FlashOrderOut, FlashSessionListOut

# Operation ids are those from before promotions was split into sub-packages, so clients
# generated from the OpenAPI schema keep their method names.
router = Router()


@router.get(
    "",
    response=FlashSessionListOut,
    auth=None,
    summary="Flash-sale sessions: live now and starting within a week",
    operation_id="circlemart_promotions_api_flash_sessions",
)
def flash_sessions(request: HttpRequest) -> dict[str, Any]:
    return {"items": [dataclasses.asdict(view) for view in selectors.flash_sessions_now()]}


# The flash buy decides before it claims its Idempotency-Key (see core.idempotency): most
# attempts of a flash sale are refusals, and a refusal that wrote nothing records nothing.
FLASH_BUY_URL_NAME = "promotions_flash_buy"
idempotency.claimed_by_view(f"api-v1:{FLASH_BUY_URL_NAME}")


@router.post(
    "/{item_id}/buy",
    response={201: FlashOrderOut},
    url_name=FLASH_BUY_URL_NAME,
    summary="Buy a flash item now (one order at the flash price, to pay in the window)",
    operation_id="circlemart_promotions_api_flash_buy",
)
def flash_buy(request: HttpRequest, item_id: int, payload: FlashBuyIn) -> Any:
    """Send an Idempotency-Key: a repeated request answers with the same order. Refusals:
    404 flash_not_found, 409 flash_not_started / flash_ended / flash_sold_out /
    flash_not_enough_left / flash_limit_reached, 400 quantity_limit, 429 rate_limited."""
    buyer_id = signed_in_id(request)
    item: FlashItem | None
    try:
        item = services.flash_buy_check(
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
    ref = services.flash_buy_place(
        buyer_id=buyer_id,
        # a claim taken over from a crashed copy: the order it may have placed is answered
        # (same key, same order), else the commit hook refuses again
        item=item or services.flash_item(item_id),
        quantity=payload.quantity,
        address_id=payload.address_id,
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
        return_url="/orders/{number}/",
    )
    return Status(201, dataclasses.asdict(ref))
