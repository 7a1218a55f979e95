"""Check-in API (mounted by growth.api at /api/v1/growth/checkin): my calendar, checking in
today, and filling a missed day of this month with a make-up card."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from circlemart.core.errors import ValidationFailed
from circlemart.core.web import signed_in_id
from circlemart.growth.checkin import selectors, services
from circlemart.growth.checkin.schemas import CheckinCalendarOut, CheckinResultOut, MakeUpIn

router = Router(tags=["growth"])

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(raw: str | None) -> date | None:
    if not raw:
        return None
    match = _MONTH.match(raw)
    if match:
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            return date(year, month, 1)
    raise ValidationFailed(_("Give the month as YYYY-MM."), code="invalid_month", field="month")


@router.get("", response=CheckinCalendarOut, summary="My check-in calendar, streak and cards")
def calendar(request: HttpRequest, month: str | None = None) -> dict[str, Any]:
    found = selectors.checkin_calendar(user_id=signed_in_id(request), month=_month(month))
    return dataclasses.asdict(found)


@router.post("", response={201: CheckinResultOut}, summary="Check in for today")
def check_in(request: HttpRequest) -> Status[Any]:
    result = services.checkin_today(user_id=signed_in_id(request))
    return Status(201, dataclasses.asdict(result))


@router.post(
    "/make-up", response={201: CheckinResultOut}, summary="Fill a missed day with a make-up card"
)
def make_up(request: HttpRequest, payload: MakeUpIn) -> Status[Any]:
    result = services.checkin_make_up(user_id=signed_in_id(request), day=payload.date)
    return Status(201, dataclasses.asdict(result))
