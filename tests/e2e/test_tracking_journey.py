"""Tracking in a real browser: the consent banner (phone and desktop, Chinese and English),
accepting it and browsing — page views, product views and card impressions land under the
browser's anonymous id and visit — and declining it, after which nothing is stored."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError
from playwright.sync_api import BrowserContext, Page, expect

from circlemart.analytics.models import Event, TrackedSession
from circlemart.analytics.tracking import bots
from circlemart.core.events import relay_pending
from tests.catalog import factories
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Headless Chromium says "HeadlessChrome", which the bot filter rightly drops: journeys
# present themselves as the phone browser they imitate. Beacons ignore the context's user
# agent override, so the journeys also teach the filter that this one headless browser is
# a person (real browsers send the same user agent on pages and beacons).
PHONE_BROWSER = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
WIDE = {"viewport": {"width": 1366, "height": 900}}


@pytest.fixture(autouse=True)
def _headless_is_a_person(monkeypatch: pytest.MonkeyPatch) -> None:
    pattern = bots._BOT_AGENT.pattern.replace("headless|", "")
    monkeypatch.setattr(bots, "_BOT_AGENT", re.compile(pattern, re.IGNORECASE))


@pytest.fixture
def shop() -> list[int]:
    tea = factories.category("茶叶", name_en="Tea")
    ids = [
        factories.product(
            title=f"西湖龙井 {number}", title_en=f"Longjing {number}", in_category=tea
        ).pk
        for number in range(4)
    ]
    relay_pending()
    return ids


def _wait_for(condition: Callable[[], bool], *, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OperationalError as locked:
            # The SQLite test database is shared in memory with the live server's threads,
            # and a read meeting their write transaction fails at once ("table is locked")
            # instead of waiting: look again.
            if "locked" not in str(locked):
                raise
        time.sleep(0.25)
    stored = sorted(Event.objects.values_list("name", flat=True))
    raise AssertionError(f"timed out waiting for the tracker; stored: {stored}")


def _quiet(page: Page) -> None:
    """Stop the page's tracker before reading the log: its later flushes would hold the SQLite
    test database's shared in-memory tables while the test reads them."""
    page.context.route("**/api/v1/events*", lambda route: route.abort())
    page.goto("about:blank")
    time.sleep(0.3)


def _cookie(context: BrowserContext, name: str) -> str:
    return next((c["value"] for c in context.cookies() if c["name"] == name), "")


@pytest.mark.parametrize(
    ("language", "size", "options"),
    [
        ("zh", "phone", PHONE),
        ("zh", "desktop", WIDE),
        ("en", "phone", PHONE),
        ("en", "desktop", WIDE),
    ],
)
def test_the_banner_in_both_languages_and_sizes(
    open_page: Callable[..., Page],
    screenshot: Screenshot,
    browser_log: BrowserLog,
    shop: list[int],
    language: str,
    size: str,
    options: dict[str, Any],
) -> None:
    page = open_page(**options, user_agent=PHONE_BROWSER)
    page.goto("/")
    if language == "en":
        page.get_by_test_id("lang-switch").click()
    banner = page.get_by_test_id("tracking-banner")
    expect(banner).to_be_visible()
    accept = page.get_by_test_id("tracking-accept")
    expect(page.locator("html")).to_have_attribute("lang", "en" if language == "en" else "zh-hans")
    if language == "en":  # the Chinese catalogue is filled by the translators (make messages)
        expect(accept).to_have_text("Accept")
    expect(accept).to_be_in_viewport()
    expect(page.get_by_test_id("tracking-decline")).to_be_in_viewport()
    screenshot(page, f"tracking-banner-{language}-{size}", full_page=False)
    assert browser_log.csp_violations() == []


def test_accepting_records_views_and_impressions_under_one_visit(
    open_page: Callable[..., Page], browser_log: BrowserLog, shop: list[int]
) -> None:
    page = open_page(**PHONE, user_agent=PHONE_BROWSER)
    page.goto("/")
    page.get_by_test_id("tracking-accept").click()
    expect(page.get_by_test_id("tracking-banner")).to_have_count(0)
    anonymous_id = _cookie(page.context, "cm_aid")
    assert len(anonymous_id) == 32

    card = page.get_by_test_id("product-card").first
    product_id = int(card.get_attribute("data-track-product") or 0)
    assert product_id in shop
    card.click()
    expect(page.get_by_test_id("product-title")).to_be_visible()
    page.goto("/")  # leaving the product page flushes its queue with sendBeacon

    _wait_for(
        lambda: (
            Event.objects.filter(name="product_view").exists()
            and Event.objects.filter(name="page_view").count() >= 2
            and Event.objects.filter(name="impression").exists()
            and Event.objects.filter(name="click").exists()
        )
    )
    _quiet(page)
    session = TrackedSession.objects.get()
    assert (session.anonymous_id, session.source, session.is_bot) == (anonymous_id, "direct", False)
    rows = Event.objects.filter(origin="client")
    assert set(rows.values_list("anonymous_id", flat=True)) == {anonymous_id}
    assert set(rows.values_list("session_id", flat=True)) == {session.session_id}
    assert list(Event.objects.filter(name="product_view").values_list("object_id", flat=True)) == [
        str(product_id)
    ]
    assert Event.objects.filter(name="click", object_id=str(product_id)).count() == 1
    assert set(Event.objects.filter(name="impression").values_list("object_id", flat=True)) <= {
        str(pk) for pk in shop
    }
    assert browser_log.problems() == []


def test_declining_stores_nothing(
    open_page: Callable[..., Page], browser_log: BrowserLog, shop: list[int]
) -> None:
    page = open_page(**PHONE, user_agent=PHONE_BROWSER)
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(request.url))
    page.goto("/")
    page.get_by_test_id("tracking-decline").click()
    expect(page.get_by_test_id("tracking-banner")).to_have_count(0)
    page.get_by_test_id("product-card").first.click()
    expect(page.get_by_test_id("product-title")).to_be_visible()
    page.goto("/")
    time.sleep(6)  # longer than the tracker's flush interval

    assert _cookie(page.context, "cm_consent") == "0"
    assert _cookie(page.context, "cm_aid") == ""
    assert not [url for url in scripts if "track" in url and url.endswith(".js")]
    assert not [url for url in scripts if "/api/v1/events" in url]
    assert Event.objects.count() == 0
    assert TrackedSession.objects.count() == 0
    assert browser_log.problems() == []
