"""Fixtures of the check-in and task-centre tests: a streak ladder, task definitions, and a
clock set to a moment in GROWTH_TIME_ZONE (Asia/Shanghai, UTC+8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from circlemart.core import clock
from circlemart.growth.checkin.models import StreakRewardRule
from circlemart.growth.tasks_centre.contracts import TaskEvent, TaskKind
from circlemart.growth.tasks_centre.models import TaskDefinition

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*parts: int) -> datetime:
    """A moment given as a Shanghai wall-clock time."""
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """at(local(2025, 5, 3, 23, 59, 59)) → clock.now() answers that moment from then on."""

    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    return set_now


@pytest.fixture
def ladder() -> list[StreakRewardRule]:
    """A 7-day cycle: 5, 5, 10, 10, 15, 15 points, and day 7: 30 points and a make-up card."""
    points = [5, 5, 10, 10, 15, 15, 30]
    return [
        StreakRewardRule.objects.create(
            streak_day=day, points=amount, make_up_cards=1 if day == 7 else 0
        )
        for day, amount in enumerate(points, start=1)
    ]


def task(code: str, kind: str, event: str, target: int = 1, **fields: Any) -> TaskDefinition:
    values: dict[str, Any] = {"title": code, "points": 10}
    values.update(fields)
    return TaskDefinition.objects.create(code=code, kind=kind, event=event, target=target, **values)


@pytest.fixture
def tasks() -> dict[str, TaskDefinition]:
    return {
        "follow_3": task("follow_3", TaskKind.NEWCOMER, TaskEvent.USER_FOLLOWED, 3, points=50),
        "profile": task("profile", TaskKind.NEWCOMER, TaskEvent.PROFILE_COMPLETED, points=20),
        "first_order": task("first_order", TaskKind.NEWCOMER, TaskEvent.ORDER_PAID, points=100),
        "daily_checkin": task("daily_checkin", TaskKind.DAILY, TaskEvent.CHECKED_IN, points=5),
        "like_3": task("like_3", TaskKind.DAILY, TaskEvent.NOTE_LIKED, 3, points=10),
        "weekly_checkin": task(
            "weekly_checkin", TaskKind.WEEKLY, TaskEvent.CHECKED_IN, 3, points=0, make_up_cards=1
        ),
    }
