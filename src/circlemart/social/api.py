"""Social graph API: /api/v1/users/{id} with followers/following pages and follow/unfollow."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from circlemart.accounts import selectors as account_selectors
from circlemart.core.errors import NotFound
from circlemart.core.pagination import CursorPage, page_size
from circlemart.social import selectors, services
from circlemart.social.models import Follow
from circlemart.social.schemas import EdgePageOut, FollowOut, PublicProfileOut

router = Router()
# Notes, comments, likes, circles, topics and feeds: /api/v1/social/…
content_router = Router(tags=["social"])


def _existing_user(user_id: int) -> None:
    if not account_selectors.user_is_active(user_id):
        raise NotFound(_("User not found."), field="user_id")


def _caller_id(request: HttpRequest) -> int:
    """Id of the signed-in caller (the endpoint's auth already guaranteed one)."""
    user_id = request.user.pk
    assert isinstance(user_id, int)
    return user_id


def _viewer_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _edge_page(page: CursorPage[Follow], *, side: str) -> dict[str, Any]:
    ids = [getattr(edge, side) for edge in page.items]
    cards = account_selectors.user_cards(ids)
    items = [
        {"user": cards[getattr(edge, side)].__dict__, "since": edge.created_at}
        for edge in page.items
        if getattr(edge, side) in cards
    ]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get("/{user_id}", response=PublicProfileOut, auth=None, summary="A user's public profile")
def user_profile(request: HttpRequest, user_id: int) -> dict[str, Any]:
    cards = account_selectors.user_cards([user_id])
    if user_id not in cards:
        raise NotFound(_("User not found."), field="user_id")
    viewer = _viewer_id(request)
    followed = viewer is not None and selectors.is_following(
        follower_id=viewer, followee_id=user_id
    )
    return {
        **cards[user_id].__dict__,
        **selectors.follow_counts(user_id),
        "is_followed_by_me": followed,
    }


@router.get(
    "/{user_id}/followers", response=EdgePageOut, auth=None, summary="Followers, newest first"
)
def followers(
    request: HttpRequest, user_id: int, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    _existing_user(user_id)
    page = selectors.followers_page(user_id=user_id, cursor=cursor, limit=page_size(limit))
    return _edge_page(page, side="follower_id")


@router.get(
    "/{user_id}/following", response=EdgePageOut, auth=None, summary="Followed users, newest first"
)
def following(
    request: HttpRequest, user_id: int, cursor: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    _existing_user(user_id)
    page = selectors.following_page(user_id=user_id, cursor=cursor, limit=page_size(limit))
    return _edge_page(page, side="followee_id")


@router.post("/{user_id}/follow", response={200: FollowOut, 201: FollowOut}, summary="Follow")
def follow(request: HttpRequest, user_id: int) -> Status[Any]:
    _existing_user(user_id)
    created = services.follow_create(follower_id=_caller_id(request), followee_id=user_id)
    return Status(201 if created else 200, {"following": True, "created": created})


@router.delete("/{user_id}/follow", response={204: None}, summary="Unfollow")
def unfollow(request: HttpRequest, user_id: int) -> Status[Any]:
    _existing_user(user_id)
    services.follow_delete(follower_id=_caller_id(request), followee_id=user_id)
    return Status(204, None)
