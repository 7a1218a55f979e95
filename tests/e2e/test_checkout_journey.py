"""Buying in a real browser: search → product → SKU → add to cart → checkout → the test
gateway's hosted page → back on the order, paid. Under the strict CSP, on a phone screen."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from circlemart.core.events import relay_pending
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders.models import Order
from tests.catalog import factories
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in
from tests.orders.conftest import make_buyer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gateway_on_live_server(settings: Any, live_server: Any) -> None:
    settings.SITE_URL = live_server.url
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "in_process"
    settings.PAYMENTS_TEST_MODE = True


def test_phone_search_add_to_cart_checkout_pay_and_see_the_order_paid(
    open_page: Callable[..., Page],
    gateway_on_live_server: None,
    screenshot: Screenshot,
    browser_log: BrowserLog,
) -> None:
    product = factories.product(
        title="无线蓝牙降噪耳机 Pro",
        title_en="Wireless Headphones Pro",
        prices=(19900, 25900),
        stock=(4, 2),
    )
    relay_pending()  # index it for search
    buyer, _address = make_buyer()
    page = open_page(**PHONE)

    sign_in(page, buyer.email)

    page.goto("/search/?q=蓝牙耳机")
    page.get_by_role("link", name=re.compile("无线蓝牙降噪耳机 Pro")).first.click()
    expect(page).to_have_url(re.compile(rf"/p/{product.pk}/$"))
    page.get_by_role("button", name="色1").click()
    expect(page.get_by_test_id("stock")).to_contain_text("2")
    page.get_by_test_id("buy-quantity").fill("2")
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("added")).to_be_visible()
    screenshot(page, "checkout-1-added-phone", full_page=False)

    page.get_by_test_id("nav-cart").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    expect(page.get_by_test_id("cart-subtotal")).to_contain_text("518")
    page.get_by_test_id("go-checkout").click()
    expect(page).to_have_url(re.compile(r"/orders/checkout/$"))
    expect(page.get_by_test_id("total")).to_contain_text("518")
    screenshot(page, "checkout-2-checkout-phone")
    page.get_by_test_id("place-order").click()

    expect(page.get_by_test_id("test-gateway")).to_be_visible()
    expect(page.get_by_test_id("amount")).to_contain_text("518")
    screenshot(page, "checkout-3-gateway-phone")
    page.get_by_test_id("pay").click()

    expect(page).to_have_url(re.compile(r"/orders/CM\w+/$"))
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
    screenshot(page, "checkout-4-paid-phone")
    order = Order.objects.get()
    assert (order.status, order.total, order.paid_amount) == ("paid", 51800, 51800)
    sku = product.skus.get(options={"颜色": "色1"})
    assert inventory_selectors.stock_of(sku.pk) == (0, 0)

    page.get_by_test_id("tab-me").click()
    page.get_by_test_id("me-orders").click()
    expect(page.get_by_test_id("order-row")).to_have_count(1)
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []
