"""Request and response shapes of the notifications API."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict


class ActorOut(Schema):
    id: int
    nickname: str
    avatar_url: str


class NotificationOut(Schema):
    id: int
    kind: str
    target_type: str
    target_id: int
    note_id: int | None
    actor_count: int
    latest_actors: list[ActorOut]
    sentence: str
    excerpt: str
    url: str
    is_read: bool
    created_at: datetime
    updated_at: datetime


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    next_cursor: str | None


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class PreferenceOut(Schema):
    kind: str
    label: str
    is_enabled: bool


class PreferencesIn(Schema):
    """Only the kinds sent change; an unknown kind is a 400 naming it."""

    model_config = ConfigDict(extra="forbid")

    follow: bool | None = None
    note_like: bool | None = None
    comment: bool | None = None
    reply: bool | None = None
    mention: bool | None = None
    comment_like: bool | None = None
    question_invite: bool | None = None
    question_answer: bool | None = None
    review_reply: bool | None = None
    group_joined: bool | None = None
    group_succeeded: bool | None = None
    group_failed: bool | None = None
