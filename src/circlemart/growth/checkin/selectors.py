"""Reads of the daily check-in: calendar days in GROWTH_TIME_ZONE, and a shopper's own
calendar (checked days, streak, make-up cards, the next reward)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.conf import settings

from circlemart.growth.calendar import growth_today
from circlemart.growth.checkin.contracts import (
    CalendarDay,
    CheckinCalendar,
    StreakReward,
)
from circlemart.growth.checkin.models import CheckIn, CheckinAccount, StreakRewardRule


def growth_week(day: date) -> str:
    """The ISO week of `day`, e.g. 2025-W18 (weeks start on Monday)."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def make_up_window(today: date) -> tuple[date, date]:
    """The days a make-up card may fill: from the 1st of this month up to yesterday (empty on
    the 1st, when the first day is after the last)."""
    return today.replace(day=1), today - timedelta(days=1)


def cycle_day(streak: int) -> int:
    """Which day of the reward cycle a streak of `streak` days counts as (1 … cycle)."""
    return (streak - 1) % settings.CHECKIN_CYCLE_DAYS + 1


def _reward(rule: StreakRewardRule) -> StreakReward:
    return StreakReward(
        streak_day=rule.streak_day,
        points=rule.points,
        coupon_template_id=rule.coupon_template_id,
        make_up_cards=rule.make_up_cards,
    )


def streak_ladder() -> list[StreakReward]:
    """The active rewards of one cycle, by day (days without a rule pay nothing)."""
    rules = StreakRewardRule.objects.filter(
        is_active=True, streak_day__lte=settings.CHECKIN_CYCLE_DAYS
    ).order_by("streak_day")
    return [_reward(rule) for rule in rules]


def streak_reward_for(streak: int) -> StreakReward | None:
    """What a check-in that makes a streak of `streak` days pays."""
    rule = StreakRewardRule.objects.filter(streak_day=cycle_day(streak), is_active=True).first()
    return _reward(rule) if rule is not None else None


def current_streak(*, user_id: int, today: date) -> int:
    """Consecutive days up to today; while today is still open, up to yesterday."""
    rows = dict(
        CheckIn.objects.filter(
            user_id=user_id, day__in=[today, today - timedelta(days=1)]
        ).values_list("day", "streak")
    )
    return rows.get(today) or rows.get(today - timedelta(days=1)) or 0


def make_up_cards(user_id: int) -> int:
    held = CheckinAccount.objects.filter(user_id=user_id).values_list("make_up_cards", flat=True)
    return int(held.first() or 0)


def checkin_calendar(*, user_id: int, month: date | None = None) -> CheckinCalendar:
    """The shopper's own calendar of `month` (any day in it; default this month)."""
    today = growth_today()
    first = (month or today).replace(day=1)
    length = calendar.monthrange(first.year, first.month)[1]
    last = first.replace(day=length)
    # The month's rows and yesterday's (the streak may run in from the month before).
    rows = {
        row.day: row
        for row in CheckIn.objects.filter(user_id=user_id).filter(
            day__gte=min(first, today - timedelta(days=1)), day__lte=max(last, today)
        )
    }
    account = CheckinAccount.objects.filter(user_id=user_id).first()
    cards = account.make_up_cards if account else 0
    window_start, window_end = make_up_window(today)
    days = []
    for offset in range(length):
        day = first + timedelta(days=offset)
        row = rows.get(day)
        days.append(
            CalendarDay(
                day=day,
                is_checked=row is not None,
                is_make_up=bool(row and row.is_make_up),
                is_today=day == today,
                is_future=day > today,
                may_make_up=row is None and cards > 0 and window_start <= day <= window_end,
            )
        )
    today_row = rows.get(today)
    yesterday_row = rows.get(today - timedelta(days=1))
    latest = today_row or yesterday_row
    streak = latest.streak if latest is not None else 0
    # Today open: today's check-in extends yesterday's streak; done: tomorrow's extends today's.
    next_streak = streak + 1
    return CheckinCalendar(
        today=today,
        month=first,
        days=days,
        leading_blanks=first.weekday(),
        checked_in_today=today_row is not None,
        streak=streak,
        longest_streak=account.longest_streak if account else 0,
        total_days=account.total_days if account else 0,
        make_up_cards=cards,
        cycle_days=settings.CHECKIN_CYCLE_DAYS,
        next_streak_day=cycle_day(next_streak),
        next_reward=streak_reward_for(next_streak),
        ladder=streak_ladder(),
    )
