"""Growth's calendar: check-ins, daily tasks, daily game chances and activity caps all count
days in GROWTH_TIME_ZONE (a shopper in Shanghai checks in again at Shanghai's midnight)."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings

from circlemart.core import clock


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def growth_zone() -> ZoneInfo:
    return _zone(settings.GROWTH_TIME_ZONE)


def growth_day(moment: datetime) -> date:
    """The calendar day `moment` falls on in GROWTH_TIME_ZONE."""
    return moment.astimezone(growth_zone()).date()


def growth_today() -> date:
    return growth_day(clock.now())


def day_start(moment: datetime) -> datetime:
    """Midnight (GROWTH_TIME_ZONE) of the day `moment` falls on."""
    return datetime.combine(growth_day(moment), time.min, tzinfo=growth_zone())
