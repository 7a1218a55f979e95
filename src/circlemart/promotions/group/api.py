"""Group-buy API (mounted at /api/v1/promotions/groups): live deals, a deal with its open
groups, a group, my groups, and opening or joining a group (send Idempotency-Key: a repeated
request answers with the same order)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Status

from circlemart.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.promotions.group import errors, selectors, services
from circlemart.promotions.group.contracts import GroupOrderRef, GroupView
from circlemart.promotions.group.schemas import (
    GroupDealDetailOut,
    GroupDealListOut,
    GroupListOut,
    GroupOrderIn,
    GroupOrderOut,
    GroupOut,
)

router = Router(tags=["group buy"])
RETURN_URL = "/orders/{number}/"


def share_url(request: HttpRequest, group_id: int) -> str:
    return request.build_absolute_uri(reverse("promotions:group", args=[group_id]))


def _group(request: HttpRequest, view: GroupView) -> dict[str, Any]:
    return {**dataclasses.asdict(view), "share_url": share_url(request, view.group_id)}


def _ordered(request: HttpRequest, ref: GroupOrderRef) -> Status[Any]:
    return Status(201, {**dataclasses.asdict(ref), "share_url": share_url(request, ref.group_id)})


@router.get("/deals", response=GroupDealListOut, auth=None, summary="Group-buy deals live now")
def deals(request: HttpRequest, product_id: int | None = None) -> dict[str, Any]:
    views = selectors.live_deals(product_id=product_id)
    return {"items": [dataclasses.asdict(view) for view in views]}


@router.get(
    "/deals/{deal_id}",
    response=GroupDealDetailOut,
    auth=None,
    summary="A deal and its open groups to join",
)
def deal(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    view = selectors.deal(deal_id)
    if view is None:
        raise services.refusal(errors.GROUP_DEAL_NOT_FOUND)
    groups = selectors.open_groups(deal_ids=[deal_id], viewer_id=viewer_id(request))
    return {"deal": dataclasses.asdict(view), "open_groups": [_group(request, g) for g in groups]}


@router.post(
    "/deals/{deal_id}/open",
    response={201: GroupOrderOut},
    summary="Open a group as its leader (one order; the group opens once it is paid)",
)
def open_group(request: HttpRequest, deal_id: int, payload: GroupOrderIn) -> Status[Any]:
    """Refusals: 404 group_deal_not_found, 409 group_deal_not_started / group_deal_ended,
    400 quantity_limit, plus checkout's own (address, stock)."""
    ref = services.group_open(
        buyer_id=signed_in_id(request),
        deal_id=deal_id,
        quantity=payload.quantity,
        address_id=payload.address_id,
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
        return_url=RETURN_URL,
    )
    return _ordered(request, ref)


@router.get("/mine", response=GroupListOut, summary="Groups I lead or joined")
def mine(request: HttpRequest) -> dict[str, Any]:
    views = selectors.groups_of_user(signed_in_id(request))
    return {"items": [_group(request, view) for view in views]}


@router.get("/{group_id}", response=GroupOut, auth=None, summary="A group and its members")
def group(request: HttpRequest, group_id: int) -> dict[str, Any]:
    view = selectors.group(group_id, viewer_id=viewer_id(request))
    if view is None:
        raise services.refusal(errors.GROUP_NOT_FOUND)
    return _group(request, view)


@router.post(
    "/{group_id}/join",
    response={201: GroupOrderOut},
    summary="Join an open group (one order at the group price, counted when paid)",
)
def join(request: HttpRequest, group_id: int, payload: GroupOrderIn) -> Status[Any]:
    """Refusals: 404 group_not_found, 409 group_full / group_expired / group_not_open /
    group_already_member, 400 quantity_limit, plus checkout's own (address, stock)."""
    ref = services.group_join(
        buyer_id=signed_in_id(request),
        group_id=group_id,
        quantity=payload.quantity,
        address_id=payload.address_id,
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
        return_url=RETURN_URL,
    )
    return _ordered(request, ref)
