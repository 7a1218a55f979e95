"""In/Out schemas of the social API; the answers that show a contract are derived from it
(core.contract_schemas)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from ninja import Field, Schema
from ninja.responses import NinjaJSONEncoder

from circlemart.accounts.contracts import UserCard
from circlemart.catalog.contracts import ProductCard
from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.social.contracts import (
    CircleView,
    CommentView,
    FeedPage,
    FolderView,
    NoteCard,
    NoteDetail,
    NoteImageView,
    Relationship,
    RevisionView,
    ShareAttribution,
    ShareLink,
    TopicView,
)


@derived_from(UserCard)
class UserCardOut(Schema): ...


@derived_from(UserCard)
class PublicProfileOut(Schema):
    followers: int
    following: int
    friends: int
    is_followed_by_me: bool


@derived_from(Relationship)
class RelationshipOut(Schema): ...


class EdgeOut(Schema):
    user: UserCardOut
    since: datetime


class EdgePageOut(Schema):
    items: list[EdgeOut]
    next_cursor: str | None


class FollowOut(Schema):
    following: bool
    created: bool


class BlockOut(Schema):
    blocking: bool
    created: bool


# Requests are written by hand: their bounds are the edge's, and `publish` is the request's;
# the services take contracts.NoteInput.
class NoteIn(InputSchema):
    text: str = Field(..., max_length=20000)
    title: str = Field("", max_length=1000)
    visibility: str = "public"
    circle_id: int | None = None
    product_ids: list[int] = Field(default_factory=list, max_length=100)
    video_url: str = Field("", max_length=2000)
    location: str = Field("", max_length=1000)
    publish: bool = True


@derived_from(NoteCard, nested={UserCard: UserCardOut})
class NoteCardOut(Schema): ...


@derived_from(NoteImageView)
class NoteImageOut(Schema): ...


@derived_from(ProductCard, only=("id", "title", "title_en", "price_min", "currency", "cover"))
class ProductTagOut(Schema): ...


@derived_from(
    NoteDetail,
    nested={
        UserCard: UserCardOut,
        NoteImageView: NoteImageOut,
        ProductCard: ProductTagOut,
        NoteCard: NoteCardOut,
    },
)
class NoteDetailOut(Schema): ...


@derived_from(RevisionView)
class RevisionOut(Schema): ...


@derived_from(FeedPage, optional=("source",), nested={NoteCard: NoteCardOut})
class FeedPageOut(Schema): ...


# A feed page is the API's hottest answer, and its cards are typed contracts already: it is
# written straight from them, field by field in the schemas' order, instead of having ninja
# validate every card again (most of the endpoint's CPU). Tests hold the bytes equal to what
# ninja renders through FeedPageOut; the OpenAPI document still comes from FeedPageOut.
_USER_CARD_FIELDS = tuple(UserCardOut.model_fields)
_NOTE_CARD_FIELDS = tuple(NoteCardOut.model_fields)
_FEED_PAGE_FIELDS = tuple(FeedPageOut.model_fields)


def _user_card_data(card: UserCard) -> dict[str, Any]:
    return {name: getattr(card, name) for name in _USER_CARD_FIELDS}


def _note_card_data(card: NoteCard) -> dict[str, Any]:
    data = {name: getattr(card, name) for name in _NOTE_CARD_FIELDS}
    data["author"] = _user_card_data(card.author)
    return data


def feed_page_data(page: FeedPage) -> dict[str, Any]:
    """What FeedPageOut makes of the page (before JSON)."""
    data = {name: getattr(page, name) for name in _FEED_PAGE_FIELDS}
    data["items"] = [_note_card_data(card) for card in page.items]
    return data


def feed_page_response(page: FeedPage) -> HttpResponse:
    """The page as ninja would answer it through FeedPageOut (same JSON, same headers)."""
    body = json.dumps(feed_page_data(page), cls=NinjaJSONEncoder)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


class CommentIn(InputSchema):
    text: str = Field(..., max_length=10000)
    parent_id: int | None = None


@derived_from(CommentView, optional=("replies",), nested={UserCard: UserCardOut})
class CommentOut(Schema): ...


class CommentPageOut(Schema):
    items: list[CommentOut]
    next_cursor: str | None


class ToggleOut(Schema):
    active: bool
    created: bool
    count: int | None = None


class FolderIn(InputSchema):
    name: str = Field(..., max_length=1000)


@derived_from(FolderView)
class FolderOut(Schema): ...


class FavouriteIn(InputSchema):
    folder_id: int | None = None


class ShareIn(InputSchema):
    channel: str = "link"


@derived_from(ShareLink)
class ShareOut(Schema): ...


class RepostIn(InputSchema):
    text: str = Field("", max_length=10000)


class CircleIn(InputSchema):
    name: str = Field(..., max_length=1000)
    description: str = Field("", max_length=10000)
    rules: str = Field("", max_length=20000)


@derived_from(CircleView)
class CircleOut(Schema): ...


@derived_from(TopicView)
class TopicOut(Schema): ...


@derived_from(ShareAttribution)
class AttributionOut(Schema): ...
