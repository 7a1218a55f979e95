"""Calendar buckets: a date range cut into days, ISO weeks or months, and the same buckets
shifted back for comparison."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from circlemart.analytics.analyses.contracts import CompareTo, Grain, Period


def period_start(day: date, grain: Grain) -> date:
    if grain is Grain.WEEK:
        return day - timedelta(days=day.weekday())
    if grain is Grain.MONTH:
        return day.replace(day=1)
    return day


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def next_period_start(day: date, grain: Grain) -> date:
    start = period_start(day, grain)
    if grain is Grain.WEEK:
        return start + timedelta(days=7)
    if grain is Grain.MONTH:
        return add_months(start, 1)
    return start + timedelta(days=1)


def periods_between(start: date, end: date, grain: Grain) -> list[Period]:
    """Buckets covering start..end (both included); the first and last are cut to the range."""
    periods = []
    cursor = start
    while cursor <= end:
        following = next_period_start(cursor, grain)
        periods.append(Period(cursor, min(end, following - timedelta(days=1))))
        cursor = following
    return periods


def shift_back(period: Period, *, compare_to: CompareTo, grain: Grain, count: int) -> Period:
    """The bucket `period` is compared with: one year earlier, or the bucket `count` buckets
    before it (the previous range of the same length)."""
    if compare_to is CompareTo.PREVIOUS_YEAR:
        return Period(add_months(period.start, -12), add_months(period.end, -12))
    if grain is Grain.MONTH:
        start = add_months(period.start, -count)
        # a month cut short by the range stays as long; a whole month stays a whole month
        whole = period.end == next_period_start(period.end, grain) - timedelta(days=1)
        if whole and period.start.day == 1:
            return Period(start, next_period_start(start, grain) - timedelta(days=1))
        return Period(start, add_months(period.end, -count))
    days = count * (7 if grain is Grain.WEEK else 1)
    return Period(period.start - timedelta(days=days), period.end - timedelta(days=days))
