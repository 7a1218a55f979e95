"""Levels and badges in a real browser, on a phone: a silver member two growth value short of
gold sees the progress and a locked badge, checks in, and the level page then shows gold, the
badge earned and the check-in in the history; the profile page shows the badge too. Under the
strict CSP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from circlemart.core.events import relay_pending
from circlemart.growth.checkin.models import StreakRewardRule
from circlemart.growth.levels import services
from circlemart.growth.levels.contracts import BadgeCounter
from circlemart.growth.levels.models import BadgeRule, GrowthAccount
from tests.accounts.factories import UserFactory
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def settle() -> None:
    for _round in range(20):
        if not relay_pending():
            return


def test_a_check_in_lifts_the_member_to_gold_and_earns_a_badge(
    open_page: Callable[..., Page], browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    services.levels_defaults_ensure()
    BadgeRule.objects.create(
        code="first-checkin",
        name="初次签到",
        name_en="First check-in",
        icon="📅",
        counter=BadgeCounter.CHECKINS,
        threshold=1,
        position=0,
    )
    StreakRewardRule.objects.create(streak_day=1, points=5)
    shopper = UserFactory(nickname="小红")
    services.growth_value_for_order(buyer_id=shopper.pk, order_number="D1", kept_amount=199_800)

    page = open_page(**PHONE)
    sign_in(page, shopper.email)
    page.goto("/growth/level/")
    expect(page.get_by_test_id("level-name")).to_have_text("白银会员")
    expect(page.get_by_test_id("growth-value")).to_have_text("1998")
    expect(page.get_by_test_id("level-progress")).to_have_attribute("value", "99")
    expect(page.get_by_test_id("locked-first-checkin")).to_be_visible()
    expect(page.get_by_test_id("badge-first-checkin")).to_have_count(0)
    screenshot(page, "growth-level-before-mobile")

    page.goto("/growth/check-in/")
    page.get_by_test_id("checkin-button").click()
    expect(page.get_by_test_id("checked-in-today")).to_be_visible()
    settle()

    page.goto("/growth/level/")
    expect(page.get_by_test_id("level-name")).to_have_text("黄金会员")
    expect(page.get_by_test_id("growth-value")).to_have_text("2000")
    expect(page.get_by_test_id("badge-first-checkin")).to_be_visible()
    expect(page.get_by_test_id("locked-first-checkin")).to_have_count(0)
    expect(page.get_by_test_id("benefits-gold")).to_contain_text("积分 1.25 倍")
    expect(page.get_by_test_id("growth-history").locator("li")).to_have_count(2)
    screenshot(page, "growth-level-mobile")

    page.goto(f"/u/{shopper.pk}/")
    expect(page.get_by_test_id("profile-badge-first-checkin")).to_have_text("📅 初次签到")

    assert GrowthAccount.objects.get(user=shopper).level.code == "gold"
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []
