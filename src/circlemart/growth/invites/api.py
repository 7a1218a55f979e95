"""Invites API (mounted by growth.api at /api/v1/growth/invites): my code, link and poster;
my invitees (paginated); binding a code after sign-up (apps, once, within the window)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Status

from circlemart.core.pagination import PageCursor, PageLimit, page_size
from circlemart.core.web import signed_in_id
from circlemart.growth.invites import attribution, selectors, services
from circlemart.growth.invites.contracts import BoundVia
from circlemart.growth.invites.schemas import (
    BindIn,
    InviteBoundOut,
    InvitedFriendPageOut,
    MyInviteOut,
)

router = Router(tags=["growth"])


@router.get("/me", response=MyInviteOut, summary="My invite code, link, poster and summary")
def my_invite(request: HttpRequest) -> dict[str, Any]:
    user_id = signed_in_id(request)
    code = services.invite_code_ensure(user_id=user_id)
    landing = reverse("growth:invite_landing", args=[code.code])
    return {
        "code": code.code,
        "link": request.build_absolute_uri(f"{landing}?ch=link"),
        "poster_url": request.build_absolute_uri(reverse("growth:invite_poster", args=[code.code])),
        "newcomer_rewards": [dataclasses.asdict(item) for item in selectors.newcomer_rewards()],
        "summary": dataclasses.asdict(selectors.invite_summary(user_id)),
    }


@router.get("/me/invitees", response=InvitedFriendPageOut, summary="Friends who joined through me")
def my_invitees(
    request: HttpRequest, cursor: PageCursor = None, limit: PageLimit = None
) -> dict[str, Any]:
    page = selectors.my_invitees(
        user_id=signed_in_id(request), cursor=cursor, limit=page_size(limit)
    )
    return dataclasses.asdict(page)


@router.post(
    "/bind",
    response={201: InviteBoundOut},
    summary="Join through a friend's invite code (once, soon after signing up)",
)
def bind(request: HttpRequest, payload: BindIn) -> Status[Any]:
    bound = services.invite_bind(
        invitee_id=signed_in_id(request),
        code=payload.code,
        via=BoundVia.APP,
        signals=attribution.bind_signals(request),
    )
    return Status(201, dataclasses.asdict(bound))
