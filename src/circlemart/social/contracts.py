"""What crosses the social boundary: read models of notes, comments, circles, topics, feeds
and share attribution (frozen dataclasses; other apps never see social's models)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from circlemart.accounts.contracts import UserCard
from circlemart.catalog.contracts import ProductCard

VISIBILITIES = ("public", "followers", "friends", "circle")


@dataclass(frozen=True)
class NoteInput:
    """What an author writes; services clean and check every field."""

    text: str
    title: str = ""
    visibility: str = "public"
    circle_id: int | None = None
    product_ids: list[int] = field(default_factory=list)
    video_url: str = ""
    location: str = ""


@dataclass(frozen=True)
class NoteImageView:
    url: str
    thumbnail_url: str
    width: int
    height: int


@dataclass(frozen=True)
class NoteCard:
    """A note in a feed or list: enough for a tile."""

    id: int
    author: UserCard
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
    liked_by_me: bool = False
    # The cover's pixel size, so tiles keep the cover's aspect before it loads (0: unknown).
    cover_width: int = 0
    cover_height: int = 0
    # Why a ranked feed shows it ("Because you follow …"), already localised; "" elsewhere.
    reason: str = ""


@dataclass(frozen=True)
class RevisionView:
    number: int
    title: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class NoteDetail:
    id: int
    author: UserCard
    title: str
    text: str
    images: list[NoteImageView]
    video_url: str
    location: str
    visibility: str
    circle_id: int | None
    status: str
    moderation_state: str
    # Shown to the author only: why the note is hidden.
    moderation_reason: str
    products: list[ProductCard]
    topics: list[str]
    mentions: list[UserCard]
    like_count: int
    comment_count: int
    favourite_count: int
    share_count: int
    created_at: datetime
    published_at: datetime | None
    edited_at: datetime | None
    revision_count: int
    repost_of: NoteCard | None
    is_mine: bool
    liked_by_me: bool
    favourited_by_me: bool


@dataclass(frozen=True)
class CommentView:
    id: int
    note_id: int
    author: UserCard
    text: str
    parent_id: int | None
    like_count: int
    reply_count: int
    moderation_state: str
    created_at: datetime
    liked_by_me: bool
    is_deleted: bool
    replies: list[CommentView] = field(default_factory=list)


@dataclass(frozen=True)
class CircleView:
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
    my_role: str | None = None  # "owner" | "admin" | "member" | None


@dataclass(frozen=True)
class TopicView:
    name: str
    label: str
    note_count: int
    follower_count: int
    trending_score: float
    followed_by_me: bool = False


@dataclass(frozen=True)
class FolderView:
    id: int
    name: str
    is_default: bool
    item_count: int


@dataclass(frozen=True)
class FeedPage:
    items: list[NoteCard]
    next_cursor: str | None
    source: str = "sql"  # "redis" when served from the fan-out store, "ranked" when ranked
    list_id: str = ""  # a ranked page's id, which its impressions and clicks carry


@dataclass(frozen=True)
class ShareLink:
    token: str
    path: str  # "/notes/<id>/?s=<token>"


@dataclass(frozen=True)
class ShareToken:
    """A decoded, signature-checked share token."""

    note_id: int
    sharer_id: int
    channel: str
    issued_at: datetime


@dataclass(frozen=True)
class ShareAttribution:
    """Who brought this visitor (for order attribution and commissions)."""

    note_id: int
    sharer_id: int
    visited_at: datetime


@dataclass(frozen=True)
class GraphCounts:
    followers: int
    following: int
    friends: int


@dataclass(frozen=True)
class Relationship:
    """How the viewer stands with another user."""

    is_following: bool
    is_followed_by: bool
    is_friend: bool
    is_blocking: bool
    is_blocked_by: bool


# --- The discover feed's ranker ----------------------------------------------------------------


@dataclass(frozen=True)
class DiscoverCandidate:
    """A note the discover ranker may place, with what it can be scored on."""

    note_id: int
    author_id: int
    circle_id: int | None
    published_at: datetime | None
    hot_score: float
    # likes + 2 comments + 2 favourites + 3 shares (services/hotness.py)
    engagement: int
    topic_ids: tuple[int, ...]
    topic_labels: tuple[str, ...]  # parallel to topic_ids
    product_ids: tuple[int, ...]


@dataclass(frozen=True)
class DiscoverSignals:
    """What one viewer's own activity says about the notes they like."""

    followed_author_ids: frozenset[int]
    followed_topic_ids: frozenset[int]
    circle_ids: frozenset[int]
    # Weight of the viewer's recent likes (1), comments (1.5) and favourites (2) per topic and
    # per author of the notes they went to.
    topic_weights: Mapping[int, float]
    author_weights: Mapping[int, float]
    engaged_note_ids: frozenset[int] = frozenset()  # those notes themselves


class DiscoverRanker(Protocol):
    """Orders the discover feed for a signed-in viewer; `settings.SOCIAL_DISCOVER_RANKER` names
    the class (social never imports it; "" keeps the plain hot-score order)."""

    def discover_page(self, *, viewer_id: int, cursor: str | None, limit: int) -> FeedPage | None:
        """A page, or None to leave this viewer to the plain order (personalisation off).
        A cursor it cannot trust is `ValidationFailed(field="cursor")`."""
        ...

    def owns_cursor(self, cursor: str) -> bool:
        """Whether `cursor` is one of this ranker's (the plain order then starts over)."""
        ...
