"""In/Out schemas of the social API."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class UserCardOut(Schema):
    id: int
    nickname: str
    avatar_url: str
    city: str


class PublicProfileOut(UserCardOut):
    followers: int
    following: int
    friends: int
    is_followed_by_me: bool


class RelationshipOut(Schema):
    is_following: bool
    is_followed_by: bool
    is_friend: bool
    is_blocking: bool
    is_blocked_by: bool


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


class NoteIn(Schema):
    text: str = Field(..., max_length=20000)
    title: str = Field("", max_length=1000)
    visibility: str = "public"
    circle_id: int | None = None
    product_ids: list[int] = Field(default_factory=list, max_length=100)
    video_url: str = Field("", max_length=2000)
    location: str = Field("", max_length=1000)
    publish: bool = True


class NoteCardOut(Schema):
    id: int
    author: UserCardOut
    title: str
    excerpt: str
    cover_url: str
    image_count: int
    like_count: int
    comment_count: int
    visibility: str
    status: str
    moderation_state: str
    published_at: datetime | None
    is_repost: bool
    repost_of_id: int | None
    circle_id: int | None
    is_pinned: bool
    liked_by_me: bool


class NoteImageOut(Schema):
    url: str
    thumbnail_url: str
    width: int
    height: int


class ProductTagOut(Schema):
    id: int
    title: str
    title_en: str
    price_min: int
    currency: str
    cover: str


class NoteDetailOut(Schema):
    id: int
    author: UserCardOut
    title: str
    text: str
    images: list[NoteImageOut]
    video_url: str
    location: str
    visibility: str
    circle_id: int | None
    status: str
    moderation_state: str
    moderation_reason: str
    products: list[ProductTagOut]
    topics: list[str]
    mentions: list[UserCardOut]
    like_count: int
    comment_count: int
    favourite_count: int
    share_count: int
    created_at: datetime
    published_at: datetime | None
    edited_at: datetime | None
    revision_count: int
    repost_of: NoteCardOut | None
    is_mine: bool
    liked_by_me: bool
    favourited_by_me: bool


class RevisionOut(Schema):
    number: int
    title: str
    text: str
    created_at: datetime


class FeedPageOut(Schema):
    items: list[NoteCardOut]
    next_cursor: str | None
    source: str = "sql"


class CommentIn(Schema):
    text: str = Field(..., max_length=10000)
    parent_id: int | None = None


class CommentOut(Schema):
    id: int
    note_id: int
    author: UserCardOut
    text: str
    parent_id: int | None
    like_count: int
    reply_count: int
    moderation_state: str
    created_at: datetime
    liked_by_me: bool
    is_deleted: bool
    replies: list[CommentOut] = []


class CommentPageOut(Schema):
    items: list[CommentOut]
    next_cursor: str | None


class ToggleOut(Schema):
    active: bool
    created: bool
    count: int | None = None


class FolderIn(Schema):
    name: str = Field(..., max_length=1000)


class FolderOut(Schema):
    id: int
    name: str
    is_default: bool
    item_count: int


class FavouriteIn(Schema):
    folder_id: int | None = None


class ShareIn(Schema):
    channel: str = "link"


class ShareOut(Schema):
    token: str
    path: str


class RepostIn(Schema):
    text: str = Field("", max_length=10000)


class CircleIn(Schema):
    name: str = Field(..., max_length=1000)
    description: str = Field("", max_length=10000)
    rules: str = Field("", max_length=20000)


class CircleOut(Schema):
    id: int
    name: str
    description: str
    rules: str
    cover_url: str
    owner_id: int
    member_count: int
    note_count: int
    moderation_state: str
    created_at: datetime
    my_role: str | None


class TopicOut(Schema):
    name: str
    label: str
    note_count: int
    follower_count: int
    trending_score: float
    followed_by_me: bool


class AttributionOut(Schema):
    note_id: int
    sharer_id: int
    visited_at: datetime
