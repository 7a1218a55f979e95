"""An analyst reads the dashboards in the back office: signs in, opens the overview, changes
the date range, drills down by channel, sees the Plotly charts drawn and downloads the CSV —
in Chinese and English, on a phone and a desktop.

Screenshots: var/screenshots/analytics/dashboard-<page>-<language>-<width>x<height>.png
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from circlemart.accounts.contracts import Role
from circlemart.analytics.models import ChannelSpend, DailyMetric
from tests.accounts.factories import PASSWORD, UserFactory
from tests.e2e.conftest import SCREENSHOTS, BrowserLog

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = [(390, 844), (1366, 900)]
CHANNELS = {"direct": 0.4, "search": 0.3, "social": 0.2, "ad": 0.1}


def ninety_days_of_metrics() -> None:
    today = timezone.localdate()
    now = timezone.now()
    rows = []
    for offset in range(90):
        day = today - timedelta(days=offset)
        growth = 1 + (90 - offset) / 90
        weekend = 1.2 if day.weekday() >= 5 else 1.0
        sessions = round(1000 * growth * weekend)
        overall = {
            "gmv": 1_250_000 * growth * weekend,
            "orders_placed": round(90 * growth * weekend),
            "orders_paid": round(80 * growth * weekend),
            "amount_paid": 1_100_000 * growth * weekend,
            "dau": round(400 * growth),
            "new_users": round(35 * growth),
            "sessions": sessions,
            "converted_sessions": round(sessions * 0.07),
            "conversion_rate": 0.07,
            "orders_refunded": 3,
            "page_views": sessions * 4,
        }
        overall["aov"] = overall["amount_paid"] / overall["orders_paid"]
        for metric, value in overall.items():
            rows.append(DailyMetric(day=day, metric=metric, value=value, computed_at=now))
        for channel, share in CHANNELS.items():
            per_channel = {
                "sessions": round(sessions * share),
                "converted_sessions": round(sessions * share * (0.04 + share / 5)),
                "orders_placed": round(90 * growth * share),
            }
            per_channel["conversion_rate"] = (
                per_channel["converted_sessions"] / per_channel["sessions"]
            )
            for metric, value in per_channel.items():
                rows.append(
                    DailyMetric(
                        day=day,
                        metric=metric,
                        dimension="channel",
                        dimension_value=channel,
                        value=value,
                        computed_at=now,
                    )
                )
        ChannelSpend.objects.create(day=day, channel="ad", amount=50_000)
    DailyMetric.objects.bulk_create(rows)


def analyst_signs_in(page: Page, email: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form#login-form button[type=submit], form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_analyst_reads_the_overview_drills_down_and_downloads_csv(
    open_page: Callable[..., Page], browser_log: BrowserLog, live_server: Any, language: str
) -> None:
    analyst = UserFactory(is_staff=True)
    analyst.groups.set([Group.objects.get(name=Role.ANALYST.value)])
    ninety_days_of_metrics()
    folder = SCREENSHOTS / "analytics"
    folder.mkdir(parents=True, exist_ok=True)

    for width, height in SIZES:
        page = open_page(viewport={"width": width, "height": height})
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": str(live_server.url)}]
        )
        analyst_signs_in(page, analyst.email)
        # The sidebar leads to the dashboards.
        page.goto("/admin/")
        link = page.locator('a[href="/admin/analytics/dashboards/overview/"]').first
        expect(link).to_be_attached()
        page.goto("/admin/analytics/dashboards/overview/")

        dashboard = page.get_by_test_id("analytics-dashboard")
        expect(dashboard).to_be_visible()
        expect(page.get_by_test_id("key-numbers").locator("article")).to_have_count(8)
        expect(page.locator("[data-chart=gmv] .main-svg").first).to_be_attached()

        # Last 7 days: the preset applies at once.
        page.locator("select[name=preset]").select_option("7")
        expect(page).to_have_url(re.compile(r"preset=7"))
        expect(page.locator("[data-chart=gmv] .scatterlayer .trace")).to_have_count(2)

        # Drill down by channel: one line per channel, and the table by channel.
        page.locator("select[name=dimension]").select_option("channel")
        page.get_by_test_id("dashboard-controls").locator("button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"dimension=channel"))
        expect(page.locator("[data-chart=orders_placed] .scatterlayer .trace")).to_have_count(4)
        # GMV has no channel cut: it keeps this period against the previous one.
        expect(page.locator("[data-chart=gmv] .scatterlayer .trace")).to_have_count(2)
        expect(page.get_by_test_id("table-by_channel").locator("tbody tr")).to_have_count(4)
        page.screenshot(
            path=str(folder / f"dashboard-overview-{language}-{width}x{height}.png"),
            full_page=True,
        )

        with page.expect_download() as download_info:
            page.get_by_test_id("csv-all").click()
        download = download_info.value
        assert download.suggested_filename.startswith("circlemart-overview-")
        with open(download.path(), encoding="utf-8") as downloaded:
            text = downloaded.read()
        assert text.startswith("\ufeff")
        assert "by_channel," in text

        # The traffic page with its source mix, for the screenshots.
        page.goto("/admin/analytics/dashboards/traffic/?preset=30")
        expect(page.locator("[data-chart=source_mix] .main-svg").first).to_be_attached()
        page.screenshot(
            path=str(folder / f"dashboard-traffic-{language}-{width}x{height}.png"),
            full_page=True,
        )

    assert browser_log.csp_violations() == []
    assert browser_log.page_errors == []
    assert browser_log.failed_responses == []


def a_fortnight_of_visits() -> None:
    """Visitors who view, add to cart and pay, registering along the way: enough for the
    funnel and the retention heatmap to draw."""
    from circlemart.analytics.catalogue import CATALOGUE
    from circlemart.analytics.contracts import EventRecord
    from circlemart.analytics.services import events_record
    from circlemart.analytics.warehouse.export import events_export

    today = timezone.localdate()
    records = []
    for user in range(1, 61):
        joined = today - timedelta(days=14 - user % 14)
        start = timezone.make_aware(
            timezone.datetime(joined.year, joined.month, joined.day, 10, user % 50)
        )
        steps = ["user_registered", "product_view", "add_to_cart", "order_paid"]
        for index, name in enumerate(steps[: 2 + user % 3]):
            records.append(
                EventRecord(
                    name=name,
                    occurred_at=start + timedelta(minutes=3 * index),
                    origin=CATALOGUE[name].origin.value,
                    user_id=user,
                )
            )
        for later in range(1, 1 + user % 5):
            when = start + timedelta(days=later * 2)
            if when.date() <= today:
                records.append(
                    EventRecord(
                        name="product_view",
                        occurred_at=when,
                        origin=CATALOGUE["product_view"].origin.value,
                        user_id=user,
                    )
                )
    events_record(records, historical=True)
    events_export()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_analyst_reads_a_funnel_and_the_retention_heatmap(
    open_page: Callable[..., Page],
    browser_log: BrowserLog,
    live_server: Any,
    language: str,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.ANALYTICS_WAREHOUSE_DIR = str(tmp_path / "warehouse")
    # The events are exported as soon as they are stored (PostgreSQL would wait a minute).
    settings.ANALYTICS_EXPORT_GRACE_SECONDS = 0
    analyst = UserFactory(is_staff=True)
    analyst.groups.set([Group.objects.get(name=Role.ANALYST.value)])
    a_fortnight_of_visits()
    folder = SCREENSHOTS / "analytics"

    for width, height in SIZES:
        page = open_page(viewport={"width": width, "height": height})
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": str(live_server.url)}]
        )
        analyst_signs_in(page, analyst.email)
        page.goto("/admin/analytics/dashboards/funnels/?preset=30")
        page.locator("input[name=steps]").fill("user_registered,product_view,add_to_cart")
        page.get_by_test_id("dashboard-controls").locator("button[type=submit]").click()
        expect(page.locator("[data-chart=funnel] .main-svg").first).to_be_attached()
        expect(page.get_by_test_id("table-steps").locator("tbody tr")).to_have_count(3)
        page.screenshot(
            path=str(folder / f"dashboard-funnels-{language}-{width}x{height}.png"), full_page=True
        )
        page.goto("/admin/analytics/dashboards/retention/?preset=30&grain=day")
        expect(page.locator("[data-chart=retention] .main-svg").first).to_be_attached()
        page.screenshot(
            path=str(folder / f"dashboard-retention-{language}-{width}x{height}.png"),
            full_page=True,
        )

    assert browser_log.csp_violations() == []
    assert browser_log.page_errors == []
    assert browser_log.failed_responses == []
