"""Levels API (mounted by growth.api at /api/v1/growth/level): my level (value, progress,
benefits, badges, history), the levels and their benefits, a member's public badges, and
setting my birthday once (for the birthday coupon)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from circlemart.accounts import selectors as account_selectors
from circlemart.core.errors import NotFound
from circlemart.core.web import signed_in_id
from circlemart.growth.levels import errors, selectors, services
from circlemart.growth.levels.schemas import (
    BadgeListOut,
    BirthdayIn,
    BirthdayOut,
    LevelListOut,
    MyLevelOut,
)

router = Router(tags=["growth"])


@router.get("/me", response=MyLevelOut, summary="My level, growth value, benefits and badges")
def me(request: HttpRequest) -> dict[str, Any]:
    return dataclasses.asdict(selectors.my_level(signed_in_id(request)))


@router.get("/levels", response=LevelListOut, auth=None, summary="The levels and their benefits")
def levels(request: HttpRequest) -> dict[str, Any]:
    return {"items": [selectors.level_view(level) for level in selectors.levels_ordered()]}


@router.get(
    "/users/{user_id}/badges",
    response=BadgeListOut,
    auth=None,
    summary="A member's badges shown on their profile",
)
def user_badges(request: HttpRequest, user_id: int) -> dict[str, Any]:
    if not account_selectors.user_is_active(user_id):
        raise NotFound(_("User not found."), code=errors.USER_NOT_FOUND, field="user_id")
    return {"items": selectors.public_badges(user_id)}


@router.post("/birthday", response=BirthdayOut, summary="Set my birthday (once)")
def birthday(request: HttpRequest, payload: BirthdayIn) -> dict[str, Any]:
    saved = services.level_birthday_set(user_id=signed_in_id(request), birthday=payload.birthday)
    return {"birthday": saved}
