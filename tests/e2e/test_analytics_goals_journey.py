"""An analyst opens a growth goal in the back office: the Plotly chart draws (actual, path,
forecast band), the status badge shows, in Chinese and English, on a phone and a desktop.

Screenshots: var/screenshots/analytics/goal-<language>-<width>x<height>.png
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from circlemart.accounts.contracts import Role
from circlemart.analytics.goals import services
from tests.analytics.goals.factories import daily, days_ago, staff, today
from tests.e2e.conftest import SCREENSHOTS, BrowserLog

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = [(390, 844), (1366, 900)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_analyst_reads_a_goal_chart(
    open_page: Callable[..., Page], browser_log: BrowserLog, live_server: object, language: str
) -> None:
    analyst = staff(Role.ANALYST)
    # Eight weeks of DAU: a slow climb with a weekly rhythm.
    daily("dau", [800.0 + 3 * day + (40.0 if day % 7 in (5, 6) else 0.0) for day in range(56)])
    goal = services.goal_create(
        name="DAU +30% in 3 months · 日活三个月提升 30%",
        metric="dau",
        baseline_start=days_ago(28),
        baseline_end=days_ago(1),
        target="+30%",
        start_date=today() - timedelta(days=14),
        deadline=today() + timedelta(days=76),
        owner_id=analyst.pk,
    )
    # A yearly GMV goal: its actual line is the running total since the start of the period.
    daily("gmv", [150_000.0 + 2_000 * (day % 7) for day in range(56)])
    gmv_goal = services.goal_create(
        name="Yearly GMV target · 年度 GMV 目标",
        metric="gmv",
        aggregation="period_total",
        baseline_start=days_ago(28),
        baseline_end=days_ago(1),
        target=200_000,
        start_date=days_ago(30),
        deadline=today() + timedelta(days=120),
        owner_id=analyst.pk,
    )
    # Signed in as the analyst: the session of a test client, handed to the browser.
    client = Client()
    client.force_login(analyst)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    url = str(live_server.url)  # type: ignore[attr-defined]
    folder = SCREENSHOTS / "analytics"
    folder.mkdir(parents=True, exist_ok=True)

    for width, height in SIZES:
        page = open_page(viewport={"width": width, "height": height})
        page.context.add_cookies(
            [
                {"name": "django_language", "value": language, "url": url},
                {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url},
            ]
        )
        page.goto(f"/admin/analytics/growthgoal/{goal.pk}/chart/")

        expect(page.get_by_test_id("goal-status")).to_have_attribute("data-status", goal.status)
        expect(page.locator("#goal-chart .main-svg").first).to_be_visible()
        # Five traces: band, forecast, path, actual, target.
        expect(page.locator("#goal-chart .scatterlayer .trace")).to_have_count(5)
        page.screenshot(path=str(folder / f"goal-{language}-{width}x{height}.png"), full_page=True)

    page = open_page(viewport={"width": 1366, "height": 900})
    page.context.add_cookies(
        [
            {"name": "django_language", "value": language, "url": url},
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url},
        ]
    )
    page.goto(f"/admin/analytics/growthgoal/{gmv_goal.pk}/chart/")
    expect(page.locator("#goal-chart .scatterlayer .trace")).to_have_count(5)
    page.screenshot(path=str(folder / f"goal-gmv-{language}-1366x900.png"), full_page=True)

    # The list of goals with its status badges.
    page = open_page(viewport={"width": 1366, "height": 900})
    page.context.add_cookies(
        [
            {"name": "django_language", "value": language, "url": url},
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url},
        ]
    )
    page.goto("/admin/analytics/growthgoal/")
    expect(page.get_by_test_id("goal-chart-link")).to_have_count(2)
    page.screenshot(path=str(folder / f"goal-list-{language}-1366x900.png"))
    page.get_by_test_id("goal-chart-link").first.click()  # the nearest deadline first
    expect(page.get_by_test_id("goal-name")).to_have_text(goal.name)

    assert browser_log.csp_violations() == []
    assert browser_log.page_errors == []
    assert browser_log.failed_responses == []
