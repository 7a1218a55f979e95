"""Request and response shapes of the levels API; answers are derived from the contracts."""

from __future__ import annotations

from datetime import date

from ninja import Schema

from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema, IsoDate
from circlemart.growth.levels.contracts import BadgeView, GrowthEntryView, LevelView, MyLevel


@derived_from(LevelView)
class LevelOut(Schema): ...


@derived_from(BadgeView)
class BadgeOut(Schema): ...


@derived_from(GrowthEntryView)
class GrowthEntryOut(Schema): ...


@derived_from(
    MyLevel, nested={LevelView: LevelOut, BadgeView: BadgeOut, GrowthEntryView: GrowthEntryOut}
)
class MyLevelOut(Schema): ...


class LevelListOut(Schema):
    items: list[LevelOut]


class BadgeListOut(Schema):
    items: list[BadgeOut]


class BirthdayIn(InputSchema):
    birthday: IsoDate


class BirthdayOut(Schema):
    birthday: date
