"""Calendar buckets and the buckets a trend compares with."""

from __future__ import annotations

from datetime import date

from circlemart.analytics.analyses.contracts import CompareTo, Grain, Period
from circlemart.analytics.analyses.periods import periods_between, shift_back
from circlemart.analytics.analyses.trend import comparison_periods


def test_weeks_and_months_are_cut_to_the_range() -> None:
    assert periods_between(date(2026, 3, 4), date(2026, 3, 17), Grain.WEEK) == [
        Period(date(2026, 3, 4), date(2026, 3, 8)),
        Period(date(2026, 3, 9), date(2026, 3, 15)),
        Period(date(2026, 3, 16), date(2026, 3, 17)),
    ]
    assert periods_between(date(2026, 1, 31), date(2026, 3, 1), Grain.MONTH) == [
        Period(date(2026, 1, 31), date(2026, 1, 31)),
        Period(date(2026, 2, 1), date(2026, 2, 28)),
        Period(date(2026, 3, 1), date(2026, 3, 1)),
    ]


def test_the_previous_period_of_whole_months_is_whole_months() -> None:
    periods = periods_between(date(2026, 2, 1), date(2026, 3, 31), Grain.MONTH)

    assert comparison_periods(periods, compare_to=CompareTo.PREVIOUS_PERIOD, grain=Grain.MONTH) == [
        Period(date(2025, 12, 1), date(2025, 12, 31)),
        Period(date(2026, 1, 1), date(2026, 1, 31)),
    ]


def test_the_previous_year_of_a_leap_day_is_the_28th() -> None:
    leap = Period(date(2028, 2, 29), date(2028, 2, 29))

    assert shift_back(leap, compare_to=CompareTo.PREVIOUS_YEAR, grain=Grain.DAY, count=1) == Period(
        date(2027, 2, 28), date(2027, 2, 28)
    )


def test_the_previous_period_of_days_is_the_same_number_of_days_before() -> None:
    periods = periods_between(date(2026, 3, 1), date(2026, 3, 3), Grain.DAY)

    assert [
        p.start
        for p in comparison_periods(periods, compare_to=CompareTo.PREVIOUS_PERIOD, grain=Grain.DAY)
    ] == [date(2026, 2, 26), date(2026, 2, 27), date(2026, 2, 28)]
