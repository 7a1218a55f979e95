"""Evaluations of one goal racing on real PostgreSQL: the transition is announced once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from circlemart.accounts.contracts import Role
from circlemart.analytics.goals import services
from circlemart.analytics.models import GrowthGoal
from circlemart.notifications.models import Notification
from tests.analytics.goals.factories import daily, days_ago, staff, today

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # kept for the assertion, not lost in the thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_simultaneous_evaluations_announce_a_transition_once() -> None:
    owner = staff(Role.ANALYST)
    analyst = staff(Role.ANALYST)
    daily("dau", [100.0] * 28)
    goal = services.goal_create(
        name="DAU +30%",
        metric="dau",
        baseline_start=days_ago(28),
        baseline_end=days_ago(1),
        target="+30%",
        start_date=today(),
        deadline=today() + timedelta(days=90),
        owner_id=owner.pk,
    )
    # Back to before the first evaluation: the next ones all see "unknown → off track".
    GrowthGoal.objects.filter(pk=goal.pk).update(status="unknown")
    Notification.objects.all().delete()

    results = run_together(6, lambda _index: services.goal_evaluate(goal_id=goal.pk))

    assert [type(result).__name__ for result in results] == ["GoalEvaluation"] * 6
    announcing = [result for result in results if result.notified_user_ids]
    assert len(announcing) == 1
    assert sorted(announcing[0].notified_user_ids) == sorted([owner.pk, analyst.pk])
    assert Notification.objects.filter(kind="goal_off_track").count() == 2
    assert GrowthGoal.objects.get(pk=goal.pk).status == "off_track"
