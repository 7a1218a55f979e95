"""Demo data: the ladder, the tasks, streaks (one restored with a make-up card) and task
progress; a second run adds nothing."""

from __future__ import annotations

import random

import pytest

from circlemart.growth.checkin import selectors
from circlemart.growth.checkin.models import (
    CheckIn,
    CheckinAccount,
    MakeUpCardMovement,
    StreakRewardRule,
)
from circlemart.growth.checkin.seed import seed_checkin
from circlemart.growth.models import RewardGrant
from circlemart.growth.points.models import PointsEntry
from circlemart.growth.tasks_centre.models import TaskDefinition, TaskProgress, TaskStep
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def counts() -> list[int]:
    models = [StreakRewardRule, TaskDefinition, CheckIn, CheckinAccount, MakeUpCardMovement,
              RewardGrant, PointsEntry, TaskProgress, TaskStep]  # fmt: skip
    return [model.objects.count() for model in models]


def test_seed_makes_streaks_and_progress_once() -> None:
    users = [UserFactory().pk for _ in range(10)]
    summary = seed_checkin(rng=random.Random(7), user_ids=users)
    assert summary == f"{30 + 21 + 12 + 7 + 5 + 3 + 2 + 0 + 30 + 21} check-in days"
    assert StreakRewardRule.objects.count() == 7
    assert TaskDefinition.objects.count() == 10
    longest = CheckIn.objects.filter(user_id=users[0]).order_by("-day").first()
    assert longest is not None
    assert longest.streak == 30
    assert selectors.checkin_calendar(user_id=users[0]).checked_in_today
    made_up = CheckIn.objects.get(is_make_up=True)
    assert made_up.user_id == users[1]
    assert not selectors.checkin_calendar(user_id=users[1]).checked_in_today
    assert selectors.checkin_calendar(user_id=users[1]).streak == 21
    # Every paid streak day is in the points ledger; the filled day paid nothing.
    paid_days = CheckIn.objects.filter(is_make_up=False).count()
    assert RewardGrant.objects.filter(reason="checkin_streak").count() == paid_days
    ready = TaskProgress.objects.filter(task__code="follow_3", completed_at__isnull=False)
    assert ready.count() == 3  # indexes 2, 5 and 8 followed three people
    before = counts()
    seed_checkin(rng=random.Random(7), user_ids=users)
    assert counts() == before
