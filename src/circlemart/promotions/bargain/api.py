"""Bargain API (mounted by promotions.api at /api/v1/promotions/bargains): live deals, one
deal, starting a bargain, a bargain's share view, a friend's cut (rate limited) and the
starter's buy at the price reached (send Idempotency-Key)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from circlemart.core.errors import NotFound
from circlemart.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from circlemart.core.ratelimit import client_ip
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.promotions.bargain import errors, selectors, services
from circlemart.promotions.bargain.contracts import BargainView
from circlemart.promotions.bargain.schemas import (
    BargainBuyIn,
    BargainDealListOut,
    BargainDealOut,
    BargainHelpOut,
    BargainOrderOut,
    BargainOut,
)

router = Router(tags=["promotions"])


def _view(bargain_id: int, viewer: int | None) -> BargainView:
    view = selectors.bargain_view(bargain_id=bargain_id, viewer_id=viewer)
    if view is None:
        raise NotFound(
            _("This bargain does not exist."),
            code=errors.BARGAIN_NOT_FOUND,
            field="bargain_id",
        )
    return view  # BargainOut reads its fields and properties


@router.get("", response=BargainDealListOut, auth=None, summary="Bargain deals open now")
def deals(request: HttpRequest) -> dict[str, Any]:
    return {"items": [dataclasses.asdict(deal) for deal in selectors.bargain_deals_live()]}


@router.get("/deals/{deal_id}", response=BargainDealOut, auth=None, summary="A bargain deal")
def deal(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    view = selectors.bargain_deal(deal_id)
    if view is None:
        raise services.refusal(errors.BARGAIN_DEAL_NOT_FOUND)
    return dataclasses.asdict(view)


@router.post(
    "/deals/{deal_id}/start",
    response={201: BargainOut},
    summary="Start a bargain on a deal (then share it with friends)",
)
def start(request: HttpRequest, deal_id: int) -> Status[Any]:
    """Refusals: 404 bargain_deal_not_found, 409 bargain_deal_not_started / bargain_deal_ended
    / bargain_unavailable / bargain_already_started (with `bargain_id`) /
    bargain_start_limit, 429 rate_limited."""
    starter_id = signed_in_id(request)
    ref = services.bargain_start(deal_id=deal_id, starter_id=starter_id)
    return Status(201, _view(ref.bargain_id, starter_id))


@router.get("/{bargain_id}", response=BargainOut, auth=None, summary="A bargain, with its helpers")
def bargain(request: HttpRequest, bargain_id: int) -> BargainView:
    return _view(bargain_id, viewer_id(request))


@router.post(
    "/{bargain_id}/help",
    response={201: BargainHelpOut},
    summary="Help a friend's bargain: cut its price once",
)
def help_cut(request: HttpRequest, bargain_id: int) -> Status[Any]:
    """Refusals: 404 bargain_not_found, 403 bargain_own, 409 bargain_already_helped /
    bargain_expired / bargain_floor_reached / bargain_purchased, 429 rate_limited."""
    ref = services.bargain_help(
        bargain_id=bargain_id, helper_id=signed_in_id(request), ip=client_ip(request)
    )
    return Status(201, ref)


@router.post(
    "/{bargain_id}/buy",
    response={201: BargainOrderOut},
    summary="Buy my bargain at the price reached (one order, to pay in the window)",
)
def buy(request: HttpRequest, bargain_id: int, payload: BargainBuyIn) -> Status[Any]:
    """Send an Idempotency-Key: a repeated request answers with the same order. Refusals:
    404 bargain_not_found (also someone else's), 409 bargain_purchased / bargain_expired /
    bargain_floor_not_reached, 429 rate_limited."""
    ref = services.bargain_buy(
        buyer_id=signed_in_id(request),
        bargain_id=bargain_id,
        address_id=payload.address_id,
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
        return_url="/orders/{number}/",
    )
    return Status(201, dataclasses.asdict(ref))
