"""Request and response shapes of the notifications API; the answers that show a contract are
derived from it (core.contract_schemas)."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict

from circlemart.accounts.contracts import UserCard
from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema
from circlemart.notifications.contracts import NotificationPage, NotificationView, PreferenceView


@derived_from(UserCard, exclude=("city",))
class ActorOut(Schema): ...


@derived_from(NotificationView, nested={UserCard: ActorOut})
class NotificationOut(Schema): ...


@derived_from(NotificationPage, nested={NotificationView: NotificationOut})
class NotificationPageOut(Schema): ...


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


@derived_from(PreferenceView)
class PreferenceOut(Schema): ...


class PreferencesIn(InputSchema):
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
    goal_at_risk: bool | None = None
    goal_off_track: bool | None = None
    points_expiring: bool | None = None
    reward_granted: bool | None = None
    distributor_reviewed: bool | None = None
    commission_settled: bool | None = None
    withdrawal_paid: bool | None = None
    withdrawal_failed: bool | None = None
    level_changed: bool | None = None
    badge_awarded: bool | None = None
    order_paid: bool | None = None
    order_shipped: bool | None = None
    order_delivered: bool | None = None
    order_cancelled: bool | None = None
    order_refunded: bool | None = None
    live_reminder: bool | None = None
    live_started: bool | None = None
