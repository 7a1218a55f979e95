"""Events of the daily check-in and the task centre: levels (growth value), badges, analytics
and campaigns react to them. Keep field names stable (add fields with defaults)."""

from __future__ import annotations

from dataclasses import dataclass

from circlemart.core.events import DomainEvent, register_event


@register_event
@dataclass(frozen=True)
class CheckedIn(DomainEvent):
    """A shopper checked in for `day` (ISO date in GROWTH_TIME_ZONE); `is_make_up` when a
    make-up card filled a missed day."""

    event_type = "growth.CheckedIn"
    aggregate_type = "user"

    user_id: int
    day: str
    streak: int
    is_make_up: bool = False

    def aggregate_id(self) -> str:
        return str(self.user_id)


@register_event
@dataclass(frozen=True)
class TaskCompleted(DomainEvent):
    """A task's target was reached for one period ("" newcomer, 2025-05-03 daily, 2025-W18
    weekly). Its reward is paid when the shopper claims it (TaskRewardClaimed)."""

    event_type = "growth.TaskCompleted"
    aggregate_type = "user"

    user_id: int
    task_code: str
    task_kind: str
    period: str

    def aggregate_id(self) -> str:
        return str(self.user_id)


@register_event
@dataclass(frozen=True)
class TaskRewardClaimed(DomainEvent):
    event_type = "growth.TaskRewardClaimed"
    aggregate_type = "user"

    user_id: int
    task_code: str
    task_kind: str
    period: str
    points: int = 0
    coupon_template_id: int | None = None

    def aggregate_id(self) -> str:
        return str(self.user_id)
