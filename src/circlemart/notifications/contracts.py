"""What crosses the notifications boundary: notification kinds and the inbox read models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from circlemart.accounts.contracts import UserCard


class NotificationKind(StrEnum):
    """One kind per sentence in the inbox; preferences opt out of a kind."""

    FOLLOW = "follow"
    NOTE_LIKE = "note_like"
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    COMMENT_LIKE = "comment_like"
    QUESTION_INVITE = "question_invite"
    QUESTION_ANSWER = "question_answer"
    REVIEW_REPLY = "review_reply"
    GROUP_JOINED = "group_joined"
    GROUP_SUCCEEDED = "group_succeeded"
    GROUP_FAILED = "group_failed"
    GOAL_AT_RISK = "goal_at_risk"  # a growth goal (analytics) turned at risk
    GOAL_OFF_TRACK = "goal_off_track"  # … or off track
    # Growth: news about the recipient's own points, rewards, commission and level.
    POINTS_EXPIRING = "points_expiring"
    REWARD_GRANTED = "reward_granted"
    DISTRIBUTOR_REVIEWED = "distributor_reviewed"
    COMMISSION_SETTLED = "commission_settled"
    WITHDRAWAL_PAID = "withdrawal_paid"
    WITHDRAWAL_FAILED = "withdrawal_failed"
    LEVEL_CHANGED = "level_changed"
    BADGE_AWARDED = "badge_awarded"
    # Orders: news about the recipient's own orders (the excerpt names the order).
    ORDER_PAID = "order_paid"
    ORDER_SHIPPED = "order_shipped"
    ORDER_DELIVERED = "order_delivered"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_REFUNDED = "order_refunded"
    # Live rooms of creators the recipient follows (the actor is the host).
    LIVE_REMINDER = "live_reminder"
    LIVE_STARTED = "live_started"


# Kinds about back-office work: only staff who may see growth goals have them in preferences.
BACK_OFFICE_KINDS = frozenset({NotificationKind.GOAL_AT_RISK, NotificationKind.GOAL_OFF_TRACK})


class TargetType(StrEnum):
    """What a group is about: its (recipient, kind, target) is unique."""

    USER = "user"
    NOTE = "note"
    COMMENT = "comment"
    QUESTION = "question"
    REVIEW = "review"
    GROUP = "group"
    GOAL = "goal"
    GROWTH = "growth"  # target_id: the growth row the news is about (lot, grant, withdrawal…)
    ORDER = "order"  # target_id: the order's id
    ROOM = "room"  # target_id: the live room's id


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: NotificationKind
    target_type: TargetType
    target_id: int
    note_id: int | None
    actor_count: int  # distinct actors, exact
    latest_actors: list[UserCard]  # newest first, at most NOTIFICATIONS_LATEST_ACTORS
    sentence: str  # "A and 12 others liked your note", translated, plain text
    excerpt: str
    url: str
    is_read: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NotificationPage:
    items: list[NotificationView]
    next_cursor: str | None


@dataclass(frozen=True)
class PreferenceView:
    kind: NotificationKind
    label: str
    is_enabled: bool
