"""Reads of levels, growth value and badges: a member's level and benefits (for pricing and
points), the "My level" page, and the badges others may see on a profile."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, Sum

from circlemart.core import clock
from circlemart.growth.levels.contracts import BadgeView, GrowthEntryView, LevelView, MyLevel
from circlemart.growth.levels.models import (
    BadgeAward,
    BadgeProgress,
    BadgeRule,
    GrowthAccount,
    GrowthValueEntry,
    Level,
)

HISTORY_LIMIT = 20


def levels_ordered() -> list[Level]:
    return list(Level.objects.order_by("threshold"))


def level_for_value(levels: list[Level], value: int) -> Level | None:
    """The highest level whose threshold `value` reaches (levels ordered by threshold)."""
    earned = None
    for level in levels:
        if level.threshold <= value:
            earned = level
    return earned


def window_value(user_id: int, *, now: datetime, total: int | None = None) -> int:
    """Growth value that counts for the level: earned after now − LEVELS_WINDOW_DAYS (an
    entry exactly that old no longer counts); all of it when the window is 0."""
    days = int(settings.LEVELS_WINDOW_DAYS)
    if days <= 0:
        if total is not None:
            return total
        row = GrowthAccount.objects.filter(user_id=user_id).values_list("total", flat=True)
        return int(row.first() or 0)
    earned = GrowthValueEntry.objects.filter(
        user_id=user_id, created_at__gt=now - timedelta(days=days)
    ).aggregate(total=Sum("amount"))["total"]
    return int(earned or 0)


def level_view(level: Level) -> LevelView:
    return LevelView(
        code=level.code,
        name=level.name,
        name_en=level.name_en,
        threshold=level.threshold,
        member_price_level=level.member_price_level,
        has_free_shipping=level.has_free_shipping,
        points_multiplier_percent=level.points_multiplier_percent,
        has_birthday_coupon=level.birthday_coupon_template_id is not None,
    )


def _current(account: GrowthAccount | None, levels: list[Level]) -> Level | None:
    """The member's level; a member never reviewed holds the base level (threshold 0)."""
    if account is not None and account.level is not None:
        return account.level
    return level_for_value(levels, 0)


def member_level(user_id: int) -> LevelView | None:
    """The member's current level (one query)."""
    account = GrowthAccount.objects.select_related("level").filter(user_id=user_id).first()
    if account is not None and account.level is not None:
        return level_view(account.level)
    base = Level.objects.filter(threshold=0).first()
    return level_view(base) if base is not None else None


def points_multiplier_percent(user_id: int) -> int:
    """How many percent of the usual points the member earns on purchases (100 = ×1)."""
    level = member_level(user_id)
    return level.points_multiplier_percent if level is not None else 100


def _badge_view(rule: BadgeRule, *, progress: int, awarded_at: datetime | None) -> BadgeView:
    return BadgeView(
        code=rule.code,
        name=rule.name,
        name_en=rule.name_en,
        description=rule.description,
        description_en=rule.description_en,
        icon=rule.icon,
        counter=rule.counter,
        threshold=rule.threshold,
        progress=min(progress, rule.threshold),
        is_earned=awarded_at is not None,
        awarded_at=awarded_at,
    )


def my_badges(user_id: int) -> list[BadgeView]:
    """Every active badge (and any retired one the member holds), earned first."""
    awarded = dict(BadgeAward.objects.filter(user_id=user_id).values_list("rule_id", "awarded_at"))
    progress = dict(BadgeProgress.objects.filter(user_id=user_id).values_list("counter", "value"))
    rules = BadgeRule.objects.filter(Q(is_active=True) | Q(pk__in=list(awarded))).order_by(
        "position", "id"
    )
    views = [
        _badge_view(rule, progress=progress.get(rule.counter, 0), awarded_at=awarded.get(rule.pk))
        for rule in rules
    ]
    return sorted(views, key=lambda view: not view.is_earned)


def public_badges(user_id: int) -> list[BadgeView]:
    """The badges anyone may see on the member's profile: earned, public, oldest first."""
    awards = (
        BadgeAward.objects.filter(user_id=user_id, rule__is_public=True)
        .select_related("rule")
        .order_by("awarded_at", "id")
    )
    return [
        _badge_view(award.rule, progress=award.rule.threshold, awarded_at=award.awarded_at)
        for award in awards
    ]


def growth_history(user_id: int, *, limit: int = HISTORY_LIMIT) -> list[GrowthEntryView]:
    rows = GrowthValueEntry.objects.filter(user_id=user_id).order_by("-created_at", "-id")
    return [
        GrowthEntryView(
            amount=row.amount,
            reason=row.reason,
            reference=row.reference,
            created_at=row.created_at,
        )
        for row in rows[:limit]
    ]


def my_level(user_id: int) -> MyLevel:
    """Everything the member's "My level" page shows (their own data only)."""
    now = clock.now()
    levels = levels_ordered()
    account = GrowthAccount.objects.select_related("level").filter(user_id=user_id).first()
    total = account.total if account is not None else 0
    value = window_value(user_id, now=now, total=total)
    current = _current(account, levels)
    floor = current.threshold if current is not None else 0
    above = [level for level in levels if level.threshold > floor or current is None]
    next_level = above[0] if above else None
    if next_level is None:
        to_next, percent = 0, 100
    else:
        to_next = max(next_level.threshold - value, 0)
        span = max(next_level.threshold - floor, 1)
        percent = max(min((value - floor) * 100 // span, 100), 0)
    return MyLevel(
        user_id=user_id,
        level=level_view(current) if current is not None else None,
        growth_value=value,
        lifetime_value=total,
        window_days=int(settings.LEVELS_WINDOW_DAYS),
        next_level=level_view(next_level) if next_level is not None else None,
        to_next=to_next,
        progress_percent=percent,
        grace_until=account.grace_until if account is not None else None,
        birthday=account.birthday if account is not None else None,
        levels=[level_view(level) for level in levels],
        badges=my_badges(user_id),
        history=growth_history(user_id),
    )
