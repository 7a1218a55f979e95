"""Distribution in a real browser, on a phone: a distributor makes and copies a product link
in the distributor centre; a buyer opens it before signing in, signs in, buys and pays; the
distributor centre then shows the commission, frozen until the after-sales window closes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from circlemart.growth.distribution.models import Commission, DistributionBinding
from tests.catalog import factories
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in
from tests.growth.distribution.conftest import make_distributor, set_rate
from tests.orders.conftest import make_buyer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gateway_on_live_server(settings: Any, live_server: Any) -> None:
    settings.SITE_URL = live_server.url
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "in_process"
    settings.PAYMENTS_TEST_MODE = True


def test_a_shared_product_link_earns_frozen_commission(
    open_page: Callable[..., Page],
    gateway_on_live_server: None,
    screenshot: Screenshot,
    browser_log: BrowserLog,
) -> None:
    set_rate(1, 1000)  # 10 %
    product = factories.product(title="手工陶瓷马克杯", title_en="Ceramic Mug", prices=(19900,))
    distributor = make_distributor()
    buyer, _address = make_buyer()

    # The distributor makes a link to the product and copies it.
    seller_page = open_page(**PHONE)
    sign_in(seller_page, distributor.user.email)
    seller_page.goto("/growth/distribution/")
    expect(seller_page.get_by_test_id("distribution-earnings")).to_be_visible()
    seller_page.locator("[name=target]").select_option("product")
    seller_page.locator("[name=target_id]").fill(str(product.pk))
    seller_page.get_by_test_id("link-form").get_by_role("button").click()
    link_field = seller_page.get_by_test_id("link-url")
    expect(link_field).to_have_count(1)
    seller_page.get_by_test_id("my-link").get_by_role("button").click()
    url = link_field.input_value()
    assert re.fullmatch(r"http://[^/]+/growth/d/[^/]+/", url), url
    screenshot(seller_page, "distribution-1-link-phone")

    # The buyer opens it before signing in, signs in, and buys the product.
    buyer_page = open_page(**PHONE)
    buyer_page.goto(url)
    expect(buyer_page).to_have_url(re.compile(rf"/p/{product.pk}/$"))
    sign_in(buyer_page, buyer.email)
    buyer_page.goto(f"/p/{product.pk}/")
    assert DistributionBinding.objects.get(buyer=buyer).distributor_id == distributor.pk
    buyer_page.get_by_test_id("add-to-cart").click()
    expect(buyer_page.get_by_test_id("added")).to_be_visible()
    buyer_page.get_by_test_id("nav-cart").click()
    buyer_page.get_by_test_id("go-checkout").click()
    expect(buyer_page).to_have_url(re.compile(r"/orders/checkout/$"))
    buyer_page.get_by_test_id("place-order").click()
    expect(buyer_page.get_by_test_id("test-gateway")).to_be_visible()
    buyer_page.get_by_test_id("pay").click()
    expect(buyer_page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")

    # The distributor sees the commission, frozen.
    seller_page.goto("/growth/distribution/")
    expect(seller_page.get_by_test_id("balance-frozen")).to_contain_text("19.90")
    expect(seller_page.get_by_test_id("commission")).to_have_count(1)
    expect(seller_page.get_by_test_id("commission-status")).to_contain_text("冻结中")
    screenshot(seller_page, "distribution-2-frozen-phone")
    commission = Commission.objects.get()
    assert (commission.distributor_id, commission.amount, commission.status) == (
        distributor.pk,
        1990,
        "frozen",
    )
    assert browser_log.csp_violations() == []
    assert browser_log.page_errors == []
