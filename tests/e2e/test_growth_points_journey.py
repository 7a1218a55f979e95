"""Points in a real browser on a phone: checkout offers the points the order can use, ticking
the box re-prices it (htmx), the order is paid through the test gateway with the points taken
off, and the points page shows the spend linked to the order. Under the strict CSP."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from circlemart.growth.points import selectors
from circlemart.orders.models import Order
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in
from tests.growth.points.conftest import give
from tests.orders.conftest import make_buyer, make_sku

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gateway_on_live_server(settings: Any, live_server: Any) -> None:
    settings.SITE_URL = live_server.url
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "in_process"
    settings.PAYMENTS_TEST_MODE = True


def test_phone_checkout_with_points_then_the_points_page_shows_the_spend(
    open_page: Callable[..., Page],
    gateway_on_live_server: None,
    screenshot: Screenshot,
    browser_log: BrowserLog,
) -> None:
    buyer, _address = make_buyer()
    sku = make_sku(price=5000, stock=3)
    give(buyer.pk, 1800, "welcome")
    page = open_page(**PHONE)
    sign_in(page, buyer.email)

    page.goto(f"/orders/checkout/?sku_id={sku}&quantity=1")
    expect(page.get_by_test_id("points-available")).to_contain_text("1800")
    expect(page.get_by_test_id("total")).to_contain_text("58.00")
    screenshot(page, "points-1-checkout-phone")
    page.get_by_test_id("use-points").check()
    expect(page.get_by_test_id("total")).to_contain_text("40.00")  # 58.00 − 18.00
    expect(page.get_by_test_id("quote")).to_contain_text("1,800")
    expect(page.get_by_test_id("use-points")).to_be_checked()
    screenshot(page, "points-2-points-used-phone")
    page.get_by_test_id("place-order").click()

    expect(page.get_by_test_id("test-gateway")).to_be_visible()
    expect(page.get_by_test_id("amount")).to_contain_text("40")
    page.get_by_test_id("pay").click()
    expect(page).to_have_url(re.compile(r"/orders/CM\w+/$"))
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
    expect(page.locator("body")).to_contain_text("1,800")
    order = Order.objects.get()
    assert (order.total, order.paid_amount) == (4000, 4000)
    assert selectors.points_balance(buyer.pk) == 0

    page.goto("/growth/points/")
    expect(page.get_by_test_id("points-balance")).to_have_text("0")
    expect(page.get_by_test_id("points-pending")).to_have_text("32")  # ¥32.00 kept goods
    expect(page.get_by_test_id("points-entry")).to_have_count(2)
    expect(page.get_by_test_id("points-entry-amount").first).to_have_text("-1800")
    page.get_by_test_id("points-entry-order").click()
    expect(page).to_have_url(re.compile(rf"/orders/{order.number}/$"))
    page.go_back()
    screenshot(page, "points-3-history-phone")
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []
