"""Domain events of the social context. notifications, growth, analytics and recommend consume
them; keep field names stable (add fields with defaults rather than renaming)."""

from __future__ import annotations

from dataclasses import dataclass, field

from circlemart.core.events import DomainEvent, register_event


@register_event
@dataclass(frozen=True)
class UserFollowed(DomainEvent):
    event_type = "social.UserFollowed"
    aggregate_type = "user"

    follower_id: int
    followee_id: int

    def aggregate_id(self) -> str:
        return str(self.followee_id)


@register_event
@dataclass(frozen=True)
class NotePublished(DomainEvent):
    event_type = "social.NotePublished"
    aggregate_type = "note"

    note_id: int
    author_id: int
    visibility: str  # "public" | "followers" | "friends" | "circle"
    circle_id: int | None = None
    product_ids: list[int] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    mentioned_user_ids: list[int] = field(default_factory=list)

    def aggregate_id(self) -> str:
        return str(self.note_id)


@register_event
@dataclass(frozen=True)
class NoteLiked(DomainEvent):
    event_type = "social.NoteLiked"
    aggregate_type = "note"

    note_id: int
    note_author_id: int
    actor_id: int

    def aggregate_id(self) -> str:
        return str(self.note_id)


@register_event
@dataclass(frozen=True)
class CommentPosted(DomainEvent):
    event_type = "social.CommentPosted"
    aggregate_type = "note"

    comment_id: int
    note_id: int
    note_author_id: int
    actor_id: int
    parent_comment_id: int | None = None
    parent_author_id: int | None = None
    mentioned_user_ids: list[int] = field(default_factory=list)

    def aggregate_id(self) -> str:
        return str(self.note_id)


@register_event
@dataclass(frozen=True)
class CommentLiked(DomainEvent):
    event_type = "social.CommentLiked"
    aggregate_type = "note"

    comment_id: int
    comment_author_id: int
    note_id: int
    actor_id: int

    def aggregate_id(self) -> str:
        return str(self.note_id)


@register_event
@dataclass(frozen=True)
class NoteShared(DomainEvent):
    event_type = "social.NoteShared"
    aggregate_type = "note"

    note_id: int
    sharer_id: int
    channel: str  # "link" | "poster" | "repost"

    def aggregate_id(self) -> str:
        return str(self.note_id)


@register_event
@dataclass(frozen=True)
class UserUnfollowed(DomainEvent):
    event_type = "social.UserUnfollowed"
    aggregate_type = "user"

    follower_id: int
    followee_id: int

    def aggregate_id(self) -> str:
        return str(self.followee_id)


@register_event
@dataclass(frozen=True)
class UserBlocked(DomainEvent):
    event_type = "social.UserBlocked"
    aggregate_type = "user"

    blocker_id: int
    blocked_id: int

    def aggregate_id(self) -> str:
        return str(self.blocked_id)


@register_event
@dataclass(frozen=True)
class CircleJoined(DomainEvent):
    event_type = "social.CircleJoined"
    aggregate_type = "circle"

    circle_id: int
    user_id: int

    def aggregate_id(self) -> str:
        return str(self.circle_id)


@register_event
@dataclass(frozen=True)
class NoteFavourited(DomainEvent):
    event_type = "social.NoteFavourited"
    aggregate_type = "note"

    note_id: int
    note_author_id: int
    actor_id: int

    def aggregate_id(self) -> str:
        return str(self.note_id)
