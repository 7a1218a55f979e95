from __future__ import annotations

from datetime import datetime

from ninja import Schema


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


class EdgeOut(Schema):
    user: UserCardOut
    since: datetime


class EdgePageOut(Schema):
    items: list[EdgeOut]
    next_cursor: str | None


class FollowOut(Schema):
    following: bool
    created: bool
