"""What crosses the check-in boundary: the calendar a shopper sees and what a check-in paid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class StreakReward:
    """What checking in on day `streak_day` of the streak cycle pays."""

    streak_day: int
    points: int
    coupon_template_id: int | None
    make_up_cards: int


@dataclass(frozen=True)
class CalendarDay:
    day: date
    is_checked: bool
    is_make_up: bool  # checked with a make-up card
    is_today: bool
    is_future: bool
    may_make_up: bool  # missed, in this month, before today, and the shopper holds a card


@dataclass(frozen=True)
class CheckinCalendar:
    today: date
    month: date  # the first day of the month shown
    days: list[CalendarDay]
    leading_blanks: int  # empty cells before the 1st in a Monday-first week grid
    checked_in_today: bool
    streak: int  # consecutive days up to today (or yesterday, when today is still open)
    longest_streak: int
    total_days: int
    make_up_cards: int
    cycle_days: int
    next_streak_day: int  # the cycle day the next check-in counts as
    next_reward: StreakReward | None
    ladder: list[StreakReward]  # the cycle's rewards, day 1 … cycle_days


@dataclass(frozen=True)
class CheckinResult:
    day: date
    streak: int
    is_make_up: bool
    points: int  # points the check-in paid (0: none)
    coupon_template_id: int | None  # coupon the check-in paid
    make_up_cards_earned: int
    make_up_cards: int  # cards held afterwards
