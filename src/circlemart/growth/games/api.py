"""Games API (mounted by growth.api at /api/v1/growth/games): live games, one game with the
caller's chances, playing (send Idempotency-Key), buying an extra chance, and my results."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from circlemart.core.errors import NotFound
from circlemart.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from circlemart.core.pagination import PageCursor, PageLimit, page_size
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.growth.games import errors, selectors, services
from circlemart.growth.games.schemas import (
    ChanceGrantOut,
    GameDetailOut,
    GameListOut,
    PlayResultOut,
    ResultPageOut,
)

router = Router(tags=["growth"])


def _request_key(request: HttpRequest) -> str:
    """The caller's Idempotency-Key (checked by the middleware), or a fresh one: without a
    key every request is a new play."""
    return request.headers.get(IDEMPOTENCY_HEADER) or uuid.uuid4().hex


@router.get("", response=GameListOut, auth=None, summary="Live games")
def games(request: HttpRequest) -> dict[str, Any]:
    return {"items": selectors.live_games()}


@router.get(
    "/me/results",
    response=ResultPageOut,
    summary="My plays and prizes, newest first",
)
def my_results(
    request: HttpRequest,
    slug: str | None = None,
    wins_only: bool = False,
    cursor: PageCursor = None,
    limit: PageLimit = None,
) -> Any:
    return selectors.my_results(
        user_id=signed_in_id(request),
        slug=slug,
        wins_only=wins_only,
        cursor=cursor,
        limit=page_size(limit),
    )


@router.get(
    "/{slug}",
    response=GameDetailOut,
    auth=None,
    summary="A game: its prize slots in order, and the caller's chances today",
)
def game(request: HttpRequest, slug: str) -> Any:
    detail = selectors.game_detail(slug=slug, viewer_id=viewer_id(request))
    if detail is None:
        raise NotFound(_("This game does not exist."), code=errors.GAME_NOT_FOUND, field="slug")
    return detail


@router.post(
    "/{slug}/play",
    response={201: PlayResultOut},
    summary="Play once: spin the wheel or scratch a card (the server decides the prize)",
)
def play(request: HttpRequest, slug: str) -> Any:
    """Send an Idempotency-Key: a repeated request answers with the same play. The answer's
    `position` is the slot the wheel stops on. Refusals: 404 game_not_found, 409
    game_not_started / game_ended / no_chances."""
    result = services.game_play(
        user_id=signed_in_id(request), slug=slug, idempotency_key=_request_key(request)
    )
    return Status(201, result)


@router.post(
    "/{slug}/chances",
    response={201: ChanceGrantOut},
    summary="Buy one extra chance with points",
)
def buy_chance(request: HttpRequest, slug: str) -> Any:
    """Send an Idempotency-Key. Refusals: 404 game_not_found, 409 chances_not_for_sale /
    chance_buy_limit_reached / insufficient_points."""
    grant = services.game_chance_buy(
        user_id=signed_in_id(request), slug=slug, idempotency_key=_request_key(request)
    )
    return Status(201, grant)
