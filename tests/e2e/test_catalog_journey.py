"""Finding and choosing a product in a real browser: search with suggestions, filter (htmx),
infinite scroll, product page, SKU switch — under the strict Content-Security-Policy."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from circlemart.core.events import relay_pending
from tests.catalog import factories
from tests.e2e.conftest import DESKTOP, PHONE, BrowserLog, Screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop() -> dict[str, object]:
    digital = factories.category("数码", name_en="Digital")
    audio = factories.category("耳机", parent=digital, name_en="Earphones")
    factories.category("美妆", name_en="Beauty")
    sony = factories.brand("索尼", "Sony")
    star = factories.product(
        title="无线蓝牙降噪耳机 X1",
        title_en="Wireless Headphones X1",
        in_category=audio,
        with_brand=sony,
        prices=(19900, 25900),
        stock=(5, 0),
    )
    for number in range(24):
        factories.product(
            title=f"蓝牙耳机 {number:02d}",
            title_en=f"Bluetooth Earphones {number:02d}",
            in_category=audio,
            prices=(30000 + number * 100,),
            stock=(0 if number % 5 == 0 else 3,),
        )
    relay_pending()  # index everything
    return {"digital": digital, "star": star, "sony": sony}


def assert_browser_was_happy(log: BrowserLog) -> None:
    assert log.csp_violations() == []
    assert log.problems() == []


def test_phone_search_filter_product_and_sku_switch(
    open_page: Callable[..., Page], shop, screenshot: Screenshot, browser_log: BrowserLog
) -> None:
    page = open_page(**PHONE)
    page.goto("/search/")
    box = page.get_by_test_id("search-input")
    box.fill("蓝牙")
    expect(page.get_by_test_id("suggestion").first).to_be_visible()
    box.fill("蓝牙耳机")
    box.press("Enter")
    expect(page.get_by_test_id("result-count")).to_contain_text("25")
    expect(page.get_by_test_id("product-card")).to_have_count(20)

    page.get_by_test_id("in-stock").check()  # htmx swaps the results and pushes the URL
    expect(page).to_have_url(re.compile(r"in_stock=1"))
    # The filters live inside the swapped results: act on the new form, once it has settled.
    expect(page.get_by_test_id("result-count")).to_contain_text("20")
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    expect(page.get_by_test_id("in-stock")).to_be_checked()
    page.get_by_test_id("sort").select_option("price_asc")
    expect(page).to_have_url(re.compile(r"sort=price_asc"))
    first_title = page.get_by_test_id("product-card").first.locator(".product-title")
    expect(first_title).to_have_text("无线蓝牙降噪耳机 X1")
    screenshot(page, "search-mobile", full_page=False)

    page.get_by_test_id("product-card").first.click()
    expect(page.get_by_test_id("product-title")).to_have_text("无线蓝牙降噪耳机 X1")
    expect(page.get_by_test_id("price")).to_have_text("¥199.00")
    expect(page.get_by_test_id("stock")).to_contain_text("5")
    page.get_by_test_id("sku-picker").get_by_role("button", name="色1").click()
    expect(page.get_by_test_id("price")).to_have_text("¥259.00")
    expect(page.get_by_test_id("stock")).to_have_text("已售罄")
    expect(page.get_by_test_id("add-to-cart")).to_be_disabled()
    expect(page.get_by_test_id("buy-now")).to_be_disabled()
    screenshot(page, "product-mobile", full_page=False)
    assert_browser_was_happy(browser_log)


def test_desktop_category_listing_scrolls_for_more(
    open_page: Callable[..., Page], shop, screenshot: Screenshot, browser_log: BrowserLog
) -> None:
    page = open_page(**DESKTOP)
    page.goto("/")
    page.get_by_test_id("categories").get_by_role("link", name="数码").click()
    expect(page.get_by_test_id("product-card")).to_have_count(20)
    screenshot(page, "category-desktop", full_page=False)
    page.get_by_test_id("more").scroll_into_view_if_needed()
    expect(page.get_by_test_id("product-card")).to_have_count(25)
    expect(page.get_by_test_id("more")).to_have_count(0)
    assert_browser_was_happy(browser_log)
