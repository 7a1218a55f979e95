"""Distribution API (mounted by growth.api at /api/v1/growth/distribution): apply, my status
and balances, my links, my commissions, withdrawals (send Idempotency-Key), my statement as
CSV; and for growth operators: reviews, rates (two tiers at most), uplines (no loops)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Router, Status

from circlemart.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from circlemart.core.pagination import PageCursor, PageLimit, page_size
from circlemart.core.web import signed_in_id
from circlemart.growth.distribution import selectors, services
from circlemart.growth.distribution.schemas import (
    ApplyIn,
    CommissionPageOut,
    DistributorOut,
    LinkIn,
    LinkListOut,
    LinkOut,
    MeOut,
    RateIn,
    RateOut,
    ReviewIn,
    UplineIn,
    WithdrawalIn,
    WithdrawalListOut,
    WithdrawalOut,
)
from circlemart.growth.distribution.services.links import approved_distributor
from circlemart.growth.distribution.statement import statement_response

router = Router()


def _distributor_id(request: HttpRequest) -> int:
    return approved_distributor(signed_in_id(request)).pk


@router.post("/apply", response={201: DistributorOut}, summary="Apply to become a distributor")
def apply(request: HttpRequest, payload: ApplyIn) -> Status[Any]:
    user_id = signed_in_id(request)
    services.distributor_apply(user_id=user_id, upline_code=payload.upline_code)
    return Status(201, selectors.distributor_of(user_id))


@router.get("/me", response=MeOut, summary="My distributor status and balances")
def me(request: HttpRequest) -> dict[str, Any]:
    distributor = selectors.distributor_of(signed_in_id(request))
    approved = distributor is not None and distributor.status == "approved"
    return {
        "distributor": distributor,
        "balance": selectors.balance_of(distributor.id) if approved and distributor else None,
        "min_withdrawal": settings.DISTRIBUTION_MIN_WITHDRAWAL,
    }


@router.post("/links", response={201: LinkOut}, summary="My link to a product, category or shop")
def link_create(request: HttpRequest, payload: LinkIn) -> Status[Any]:
    link = services.link_create(
        user_id=signed_in_id(request), target=payload.target, target_id=payload.target_id
    )
    found = next(v for v in selectors.links_of(link.distributor_id) if v.id == link.pk)
    return Status(201, found)


@router.get("/links", response=LinkListOut, summary="My links")
def links(request: HttpRequest) -> dict[str, Any]:
    return {"items": selectors.links_of(_distributor_id(request))}


@router.get("/commissions", response=CommissionPageOut, summary="My commissions, newest first")
def commissions(
    request: HttpRequest, cursor: PageCursor = None, limit: PageLimit = None
) -> dict[str, Any]:
    page = selectors.commissions_of(
        distributor_id=_distributor_id(request), cursor=cursor, limit=page_size(limit)
    )
    return dataclasses.asdict(page)


@router.post(
    "/withdrawals", response={201: WithdrawalOut}, summary="Withdraw commission (Idempotency-Key)"
)
def withdrawal_create(request: HttpRequest, payload: WithdrawalIn) -> Status[Any]:
    """Refusals: below DISTRIBUTION_MIN_WITHDRAWAL (400 below_minimum), above the
    withdrawable balance (409 insufficient_balance), not an approved distributor (403)."""
    withdrawal = services.withdrawal_request(
        user_id=signed_in_id(request),
        amount=payload.amount,
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, "")[:128],
    )
    return Status(201, selectors.withdrawal_view(withdrawal))


@router.get("/withdrawals", response=WithdrawalListOut, summary="My withdrawals")
def withdrawals(request: HttpRequest) -> dict[str, Any]:
    return {"items": selectors.withdrawals_of(distributor_id=_distributor_id(request))}


@router.get(
    "/statement.csv",
    response={200: None},
    summary="My statement as CSV (scope=all: everyone's, for operators)",
)
def statement(request: HttpRequest, scope: str = "mine") -> StreamingHttpResponse:
    return statement_response(user_id=signed_in_id(request), scope=scope)


# --- Operators ------------------------------------------------------------------------------


@router.post(
    "/distributors/{distributor_id}/review",
    response=DistributorOut,
    summary="Approve or reject an application (operators)",
)
def distributor_review(request: HttpRequest, distributor_id: int, payload: ReviewIn) -> Any:
    distributor = services.distributor_review(
        operator_id=signed_in_id(request),
        distributor_id=distributor_id,
        approve=payload.approve,
        note=payload.note,
    )
    return selectors.distributor_of(distributor.user_id)


@router.put(
    "/distributors/{distributor_id}/upline",
    response=DistributorOut,
    summary="Change who recruited a distributor (operators; no loops)",
)
def upline_set(request: HttpRequest, distributor_id: int, payload: UplineIn) -> Any:
    distributor = services.distributor_upline_set(
        operator_id=signed_in_id(request),
        distributor_id=distributor_id,
        upline_id=payload.upline_id,
    )
    return selectors.distributor_of(distributor.user_id)


@router.post(
    "/rates",
    response={201: RateOut},
    summary="Set a commission rate (operators; tiers 1 and 2 only, 0–100 %)",
)
def rate_set(request: HttpRequest, payload: RateIn) -> Status[Any]:
    rate = services.commission_rate_set(
        operator_id=signed_in_id(request),
        scope=payload.scope,
        target_id=payload.target_id,
        level_id=payload.level_id,
        tier=payload.tier,
        rate_bp=payload.rate_bp,
    )
    return Status(
        201,
        {
            "id": rate.pk,
            "scope": rate.scope,
            "target_id": rate.target_id,
            "level_id": rate.level_id,
            "tier": rate.tier,
            "rate_bp": rate.rate_bp,
        },
    )


@router.post(
    "/withdrawals/{withdrawal_id}/review",
    response=WithdrawalOut,
    summary="Approve (pay out) or reject a withdrawal (operators)",
)
def withdrawal_review(request: HttpRequest, withdrawal_id: int, payload: ReviewIn) -> Any:
    withdrawal = services.withdrawal_review(
        operator_id=signed_in_id(request),
        withdrawal_id=withdrawal_id,
        approve=payload.approve,
        note=payload.note,
    )
    return selectors.withdrawal_view(withdrawal)
