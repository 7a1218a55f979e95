"""What crosses the levels boundary: why growth value was earned, what badges count, and the
read models of the "My level" page and API (the API schemas derive from these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class GrowthReason(models.TextChoices):
    """Where growth value comes from."""

    ORDER_KEPT = "order_kept", _("Order kept")  # what a buyer kept once after-sales closed
    REVIEW = "review", _("Product review")
    NOTE = "note", _("Note published")
    CHECKIN = "checkin", _("Daily check-in")
    IMPORTED = "imported", _("Carried over")  # from before levels existed (an import, the demo)


# Activity (everything but spend) is capped per calendar day; spend is not.
ACTIVITY_REASONS = frozenset({GrowthReason.REVIEW, GrowthReason.NOTE, GrowthReason.CHECKIN})


class BadgeCounter(models.TextChoices):
    """What a badge rule counts. Counts only grow, except followers (the live count)."""

    ORDERS_PAID = "orders_paid", _("Orders paid")
    REVIEWS = "reviews", _("Reviews published")
    NOTES = "notes", _("Notes published")
    FOLLOWERS = "followers", _("Followers")
    CHECKINS = "checkins", _("Days checked in")
    CHECKIN_STREAK = "checkin_streak", _("Longest check-in streak")


class LevelDirection(StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True)
class LevelView:
    code: str
    name: str
    name_en: str
    threshold: int
    member_price_level: str  # "" when the level has no member prices
    has_free_shipping: bool
    points_multiplier_percent: int  # 100 = ×1
    has_birthday_coupon: bool


@dataclass(frozen=True)
class BadgeView:
    code: str
    name: str
    name_en: str
    description: str
    description_en: str
    icon: str
    counter: str
    threshold: int
    progress: int  # the holder's count, capped at the threshold (0 for others' badges)
    is_earned: bool
    awarded_at: datetime | None


@dataclass(frozen=True)
class GrowthEntryView:
    amount: int
    reason: str
    reference: str
    created_at: datetime


@dataclass(frozen=True)
class MyLevel:
    """Everything the "My level" page and GET /growth/level/me show."""

    user_id: int
    level: LevelView | None
    growth_value: int  # what counts for the level: the last LEVELS_WINDOW_DAYS (0: all time)
    lifetime_value: int
    window_days: int
    next_level: LevelView | None
    to_next: int  # growth value still needed for next_level (0 at the top)
    progress_percent: int  # 0..100 of the way from this level's threshold to the next
    grace_until: datetime | None  # below the level's threshold: kept until then, then reviewed
    birthday: date | None
    levels: list[LevelView] = field(default_factory=list)
    badges: list[BadgeView] = field(default_factory=list)
    history: list[GrowthEntryView] = field(default_factory=list)
