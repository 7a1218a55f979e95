"""Races on real PostgreSQL with real threads: one check-in and one reward per shopper and day,
one make-up per card, one claim per task."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from circlemart.core.errors import Conflict
from circlemart.growth.checkin import services
from circlemart.growth.checkin.models import CheckIn, CheckinAccount, MakeUpCardMovement
from circlemart.growth.models import RewardGrant
from circlemart.growth.points import selectors as points_selectors
from circlemart.growth.points.models import PointsEntry
from circlemart.growth.tasks_centre import services as task_services
from circlemart.growth.tasks_centre.contracts import TaskEvent
from circlemart.growth.tasks_centre.models import TaskProgress
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together
from tests.growth.checkin.conftest import local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
Clock = Callable[[datetime], None]


def test_fifty_parallel_check_ins_make_one_check_in_and_one_reward(at: Clock, ladder: list) -> None:
    user = UserFactory()
    at(local(2025, 5, 7, 12, 0))
    results = run_together(50, lambda _i: services.checkin_today(user_id=user.pk))
    done = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(done) == 1
    assert all(isinstance(r, Conflict) and r.code == "already_checked_in" for r in refused)
    assert len(refused) == 49
    assert CheckIn.objects.filter(user=user).count() == 1
    assert RewardGrant.objects.filter(user=user).count() == 1
    assert PointsEntry.objects.filter(user=user).count() == 1
    assert points_selectors.points_balance(user.pk) == 5
    assert CheckinAccount.objects.get(user=user).total_days == 1


def test_parallel_make_ups_spend_each_card_once(at: Clock) -> None:
    user = UserFactory()
    services.make_up_cards_grant(user_id=user.pk, count=3, reason="operator", idempotency_key="g")
    at(local(2025, 5, 20, 12, 0))
    days = [date(2025, 5, day) for day in range(1, 13)]  # 12 different missed days, 3 cards
    results = run_together(12, lambda i: services.checkin_make_up(user_id=user.pk, day=days[i]))
    done = [r for r in results if not isinstance(r, Exception)]
    assert len(done) == 3
    assert all(
        isinstance(r, Conflict) and r.code == "no_make_up_card" for r in results if r not in done
    )
    assert CheckinAccount.objects.get(user=user).make_up_cards == 0
    assert CheckIn.objects.filter(user=user, is_make_up=True).count() == 3
    assert MakeUpCardMovement.objects.filter(user=user, delta=-1).count() == 3


def test_parallel_claims_pay_a_task_once(tasks: dict) -> None:
    user = UserFactory()
    for person in range(3):
        task_services.task_event_record(
            user_id=user.pk,
            event=TaskEvent.USER_FOLLOWED,
            object_key=f"user:{person}",
            day=date(2025, 5, 1),
        )
    results = run_together(
        20, lambda _i: task_services.task_claim(user_id=user.pk, code="follow_3")
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert RewardGrant.objects.filter(user=user).count() == 1
    assert points_selectors.points_balance(user.pk) == 50


def test_parallel_follow_events_count_each_person_once(tasks: dict) -> None:
    user = UserFactory()
    keys = [f"user:{n % 5}" for n in range(20)]  # 5 people, each counted by 4 threads
    run_together(
        20,
        lambda i: task_services.task_event_record(
            user_id=user.pk, event=TaskEvent.USER_FOLLOWED, object_key=keys[i], day=date(2025, 5, 1)
        ),
    )
    progress = TaskProgress.objects.get(user=user, task__code="follow_3")
    assert progress.count == 3  # capped at the target
    assert progress.completed_at is not None
