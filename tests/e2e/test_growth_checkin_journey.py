"""Daily check-in and the task centre in a real browser, on a phone: check in (htmx swaps the
panel: streak 1, the day's points), then follow three people from their profiles and claim the
newcomer task "follow 3 people" in the task centre. Under the strict CSP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from circlemart.core.events import relay_pending
from circlemart.growth.checkin.models import CheckIn, StreakRewardRule
from circlemart.growth.models import RewardGrant
from circlemart.growth.points import selectors as points_selectors
from circlemart.growth.tasks_centre.contracts import TaskEvent, TaskKind
from circlemart.growth.tasks_centre.models import TaskDefinition
from tests.accounts.factories import UserFactory
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def settle() -> None:
    for _round in range(20):
        if not relay_pending():
            return


def test_check_in_then_follow_three_people_and_claim_the_task(
    open_page: Callable[..., Page], browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    for day, points in enumerate([5, 5, 10, 10, 15, 15, 30], start=1):
        StreakRewardRule.objects.create(streak_day=day, points=points)
    TaskDefinition.objects.create(
        code="follow_3",
        kind=TaskKind.NEWCOMER,
        title="关注 3 位好友",
        title_en="Follow 3 people",
        event=TaskEvent.USER_FOLLOWED,
        target=3,
        points=50,
    )
    shopper = UserFactory(nickname="小明")
    people = [UserFactory(nickname=f"达人{n}") for n in range(3)]

    page = open_page(**PHONE)
    sign_in(page, shopper.email)
    page.goto("/growth/check-in/")
    expect(page.get_by_test_id("streak")).to_have_text("0")
    expect(page.get_by_test_id("calendar")).to_be_visible()
    page.get_by_test_id("checkin-button").click()
    expect(page.get_by_test_id("checked-in-today")).to_be_visible()
    expect(page.get_by_test_id("streak")).to_have_text("1")
    expect(page.get_by_test_id("points-balance")).to_have_text("5")
    expect(page.get_by_test_id("checkin-ok")).to_be_visible()
    screenshot(page, "growth-checkin-mobile")
    assert CheckIn.objects.filter(user=shopper).count() == 1

    page.get_by_test_id("to-tasks").click()
    task = page.get_by_test_id("task-follow_3")
    expect(task.get_by_test_id("task-progress")).to_have_text("0/3")
    for person in people:
        page.goto(f"/u/{person.pk}/")
        page.get_by_test_id("follow").click()
        expect(page.get_by_test_id("followers-count")).to_have_text("1")
    settle()
    page.goto("/growth/tasks/")
    task = page.get_by_test_id("task-follow_3")
    expect(task.get_by_test_id("task-progress")).to_have_text("3/3")
    task.get_by_test_id("claim").click()
    task = page.get_by_test_id("task-follow_3")
    expect(task.get_by_test_id("claim-ok")).to_be_visible()
    expect(task.get_by_test_id("claimed")).to_be_visible()
    screenshot(page, "growth-tasks-mobile")

    assert points_selectors.points_balance(shopper.pk) == 55
    assert sorted(RewardGrant.objects.values_list("reason", flat=True)) == [
        "checkin_streak",
        "task",
    ]
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []
