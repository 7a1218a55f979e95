"""What crosses the task centre's boundary: task kinds, the events a task counts, and a
shopper's task list with progress."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    NEWCOMER = "newcomer", _("Newcomer")  # once per shopper
    DAILY = "daily", _("Daily")  # again every calendar day in GROWTH_TIME_ZONE
    WEEKLY = "weekly", _("Weekly")  # again every ISO week (Monday to Sunday)


class TaskEvent(models.TextChoices):
    """What a task counts: each is proven by a domain event, once per object (the same person
    followed twice, the same note liked twice, counts once)."""

    PROFILE_COMPLETED = "profile_completed", _("Profile completed (avatar, bio and city)")
    USER_FOLLOWED = "user_followed", _("Person followed")
    NOTE_PUBLISHED = "note_published", _("Note published")
    ORDER_PAID = "order_paid", _("Order paid")
    NOTE_LIKED = "note_liked", _("Note liked")
    COMMENT_POSTED = "comment_posted", _("Comment posted")
    NOTE_SHARED = "note_shared", _("Note shared")
    REVIEW_PUBLISHED = "review_published", _("Review published")
    CHECKED_IN = "checked_in", _("Checked in")


@dataclass(frozen=True)
class TaskCard:
    code: str
    kind: str
    title: str
    description: str
    event: str
    target: int
    progress: int
    period: str  # "" newcomer, 2025-05-03 daily, 2025-W18 weekly
    is_completed: bool
    is_claimed: bool
    may_claim: bool
    points: int
    coupon_template_id: int | None
    make_up_cards: int


@dataclass(frozen=True)
class TaskList:
    newcomer: list[TaskCard]
    daily: list[TaskCard]
    weekly: list[TaskCard]


@dataclass(frozen=True)
class TaskClaimed:
    code: str
    period: str
    points: int
    coupon_template_id: int | None
    make_up_cards: int
