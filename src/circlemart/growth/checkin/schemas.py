"""Request and response shapes of the check-in API; answers are derived from the contracts."""

from __future__ import annotations

from ninja import Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema, IsoDate
from circlemart.growth.checkin.contracts import (
    CalendarDay,
    CheckinCalendar,
    CheckinResult,
    StreakReward,
)


@derived_from(StreakReward)
class StreakRewardOut(Schema): ...


@derived_from(CalendarDay)
class CalendarDayOut(Schema): ...


@derived_from(CheckinCalendar, nested={CalendarDay: CalendarDayOut, StreakReward: StreakRewardOut})
class CheckinCalendarOut(Schema): ...


@derived_from(CheckinResult)
class CheckinResultOut(Schema): ...


class MakeUpIn(InputSchema):
    date: IsoDate
