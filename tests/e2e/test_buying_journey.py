"""Buying on a phone with the sticky buy bar: product → SKU → Buy now → checkout → add an
address from checkout and come back to it → pay on the test gateway → the order page never
offers to pay again while the payment is confirmed. Also: a bad quantity in the cart is said
next to its line, and discover → note → tagged product → Buy now reaches checkout.
Screenshots of the product page (phone and desktop, zh and en), checkout and the paid order."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from circlemart.core import clock
from circlemart.core.events import relay_pending
from circlemart.orders.models import Order
from circlemart.promotions.group.models import GroupDeal
from circlemart.social import services as social_services
from circlemart.social.contracts import NoteInput
from circlemart.social.models import Note
from tests.accounts.factories import UserFactory
from tests.catalog import factories
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in
from tests.orders.conftest import make_buyer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP_WIDE = {"viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def gateway_on_live_server(settings: Any, live_server: Any) -> None:
    settings.SITE_URL = live_server.url
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "in_process"
    settings.PAYMENTS_TEST_MODE = True


def _product_with_group_deal() -> Any:
    product = factories.product(
        title="无线蓝牙降噪耳机 Pro",
        title_en="Wireless Headphones Pro",
        prices=(19900, 25900),
        stock=(40, 20),
    )
    sku = product.skus.order_by("pk").first()
    starts = clock.now() - timedelta(hours=1)
    deal = GroupDeal(
        name="三人团",
        sku_id=sku.pk,
        group_price=15900,
        group_size=3,
        time_limit_minutes=60,
        starts_at=starts,
        ends_at=starts + timedelta(days=7),
        max_quantity=1,
    )
    deal.full_clean()
    deal.save()
    return product


def _uncovered_in_viewport(page: Page, target: Locator) -> None:
    """The element sits wholly inside the first screen and nothing is drawn over its middle."""
    box = target.bounding_box()
    viewport = page.viewport_size
    assert box is not None
    assert viewport is not None
    assert box["x"] >= 0, box
    assert box["y"] >= 0, box
    assert box["x"] + box["width"] <= viewport["width"] + 0.5, box
    assert box["y"] + box["height"] <= viewport["height"] + 0.5, box
    on_top = target.evaluate(
        """el => {
          const r = el.getBoundingClientRect();
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return hit === el || el.contains(hit);
        }"""
    )
    assert on_top, "something covers the button"


def test_phone_buy_now_address_from_checkout_pay_and_never_a_pay_button(
    open_page: Callable[..., Page],
    gateway_on_live_server: None,
    screenshot: Screenshot,
    browser_log: BrowserLog,
) -> None:
    product = _product_with_group_deal()
    buyer, first_address = make_buyer()
    page = open_page(**PHONE)
    sign_in(page, buyer.email)

    page.goto(f"/p/{product.pk}/")
    bar = page.get_by_test_id("buy-bar")
    buy_now = bar.get_by_test_id("buy-now")
    # The SKU choice comes first: with no option chosen the buttons wait and say why.
    page.get_by_role("button", name="色0").click()  # unchoose the preselected SKU
    expect(buy_now).to_be_disabled()
    expect(bar.get_by_test_id("buy-hint")).to_be_visible()
    page.get_by_role("button", name="色1").click()
    expect(buy_now).to_be_enabled()
    expect(bar.get_by_test_id("buy-hint")).to_be_hidden()
    expect(bar.get_by_test_id("join-group")).to_contain_text("159")
    expect(page.get_by_test_id("deal-group")).to_be_visible()
    for test_id in ("buy-bar-cart", "add-to-cart", "buy-now", "join-group"):
        _uncovered_in_viewport(page, bar.get_by_test_id(test_id))
    assert page.locator("nav.tabbar").count() == 0
    screenshot(page, "buying-product-phone-zh", full_page=False)

    bar.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("added")).to_be_visible()
    expect(bar.get_by_test_id("buy-bar-cart-count")).to_have_text("1")

    buy_now.click()
    expect(page).to_have_url(re.compile(r"/orders/checkout/\?sku_id=\d+&quantity=1$"))
    expect(page.get_by_test_id("address")).to_have_count(1)
    page.get_by_test_id("choose-address").click()
    expect(page).to_have_url(re.compile(r"/accounts/addresses/\?next="))
    form = page.get_by_test_id("address-form")
    for name, value in {
        "recipient": "李四",
        "phone": "13900139000",
        "province": "北京",
        "city": "北京市",
        "district": "朝阳区",
        "detail": "建国路 2 号",
    }.items():
        form.locator(f"[name={name}]").fill(value)
    form.get_by_test_id("save-address").click()
    expect(page).to_have_url(
        re.compile(r"/orders/checkout/\?sku_id=\d+&quantity=1&address_id=\d+$")
    )
    chosen = page.get_by_test_id("address").and_(page.locator(":checked"))
    expect(chosen).to_have_count(1)
    assert chosen.get_attribute("value") != str(first_address)
    expect(page.get_by_test_id("total")).to_contain_text("259")
    screenshot(page, "buying-checkout-phone-zh")
    page.get_by_test_id("place-order").click()

    expect(page.get_by_test_id("test-gateway")).to_be_visible()
    page.get_by_test_id("pay").click()
    expect(page).to_have_url(re.compile(r"/orders/CM\w+/$"))
    status = page.get_by_test_id("order-status")
    # Processing or already paid, but never "awaiting payment" with a pay button.
    assert page.get_by_test_id("pay").count() == 0
    expect(status).to_have_attribute("data-status", "paid")
    expect(page.get_by_test_id("pay")).to_have_count(0)
    screenshot(page, "buying-order-paid-phone-zh")
    order = Order.objects.get()
    assert (order.status, order.total) == ("paid", 25900)
    assert "李四" in order.address
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []


def test_the_order_page_shows_processing_until_the_poll_finds_it_paid(
    open_page: Callable[..., Page],
    gateway_on_live_server: None,
    monkeypatch: pytest.MonkeyPatch,
    screenshot: Screenshot,
    browser_log: BrowserLog,
) -> None:
    """The provider took the money but the outbox has not told the order yet: the page says
    "processing", offers no pay button, and turns paid by itself once the event is relayed."""
    monkeypatch.setattr("circlemart.core.events._schedule_relay", lambda: None)
    product = factories.product(title="手冲咖啡壶", title_en="Pour-over kettle", stock=(9,))
    buyer, _address = make_buyer()
    page = open_page(**PHONE)
    sign_in(page, buyer.email)
    sku = product.skus.get().pk
    page.goto(f"/orders/checkout/?sku_id={sku}&quantity=1")
    page.get_by_test_id("place-order").click()
    page.get_by_test_id("pay").click()
    expect(page).to_have_url(re.compile(r"/orders/CM\w+/$"))
    status = page.get_by_test_id("order-status")
    expect(status).to_have_attribute("data-payment", "processing")
    expect(page.get_by_test_id("payment-processing")).to_be_visible()
    expect(page.get_by_test_id("pay")).to_have_count(0)
    screenshot(page, "buying-order-processing-phone-zh", full_page=False)
    relay_pending()  # the worker catches up
    expect(status).to_have_attribute("data-status", "paid")
    expect(page.get_by_test_id("payment-processing")).to_have_count(0)
    expect(page.get_by_test_id("pay")).to_have_count(0)
    assert browser_log.problems() == []


def test_a_negative_quantity_in_the_cart_is_said_next_to_the_line(
    open_page: Callable[..., Page], browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    product = factories.product(title="手冲咖啡壶", title_en="Pour-over kettle", stock=(9,))
    page = open_page(**PHONE, locale="en-US")
    page.goto(f"/p/{product.pk}/")
    page.get_by_test_id("buy-bar").get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("added")).to_be_visible()
    page.goto("/cart/")
    quantity = page.get_by_test_id("quantity")
    quantity.fill("-2")
    quantity.press("Tab")
    line_error = page.get_by_test_id("cart-line").get_by_test_id("line-error")
    expect(line_error).to_have_text("Enter a quantity of 1 or more.")
    expect(page.get_by_test_id("quantity")).to_have_value("1")
    screenshot(page, "buying-cart-bad-quantity-phone-en", full_page=False)
    # The refusal is a 400 on purpose (Chromium logs every 4xx answer to the console).
    assert browser_log.problems() == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]


@pytest.mark.parametrize(
    ("size", "locale", "name"),
    [
        (PHONE, "en-US", "buying-product-phone-en"),
        (DESKTOP_WIDE, "zh-CN", "buying-product-desktop-zh"),
        (DESKTOP_WIDE, "en-US", "buying-product-desktop-en"),
    ],
)
def test_product_page_layouts(
    open_page: Callable[..., Page],
    screenshot: Screenshot,
    browser_log: BrowserLog,
    size: dict[str, Any],
    locale: str,
    name: str,
) -> None:
    product = _product_with_group_deal()
    page = open_page(**size, locale=locale)
    page.goto(f"/p/{product.pk}/")
    bar = page.get_by_test_id("buy-bar")
    expect(bar.get_by_test_id("join-group")).to_be_visible()
    for test_id in ("add-to-cart", "buy-now"):
        _uncovered_in_viewport(page, bar.get_by_test_id(test_id))
    if size is not PHONE:
        # Wide screens: gallery | info side by side, the buttons in the info column, not fixed.
        gallery = page.locator(".gallery").bounding_box()
        info = page.locator(".buybox").bounding_box()
        assert gallery is not None
        assert info is not None
        assert info["x"] >= gallery["x"] + gallery["width"] - 1
        assert bar.evaluate("el => getComputedStyle(el).position") != "fixed"
    screenshot(page, name, full_page=False)
    assert browser_log.problems() == []


def test_discover_to_buy(
    open_page: Callable[..., Page], browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    """home → discover tab → a note → its tagged product → Buy now → checkout."""
    product = factories.product(title="手冲咖啡壶 细口", title_en="Pour-over kettle", stock=(9,))
    author = UserFactory(nickname="咖啡小姐姐")
    note = social_services.note_create(
        author_id=author.pk,
        data=NoteInput(
            text="周末的小分享，真实体验。\n#咖啡探店",
            title="杭州宝藏咖啡店｜燕麦拿铁绝了",
            product_ids=[product.pk],
        ),
        publish_now=True,
    )
    Note.objects.filter(pk=note.pk).update(hot_score=1000.0)
    buyer, _address = make_buyer()
    page = open_page(**PHONE)
    sign_in(page, buyer.email)

    page.goto("/")
    page.get_by_test_id("tab-discover").click()
    expect(page).to_have_url(re.compile(r"/discover/"))
    page.get_by_test_id("note-card").first.click()
    page.get_by_test_id("note-product").first.click()
    expect(page).to_have_url(re.compile(rf"/p/{product.pk}/$"))
    bar = page.get_by_test_id("buy-bar")
    _uncovered_in_viewport(page, bar.get_by_test_id("buy-now"))
    bar.get_by_test_id("buy-now").click()
    expect(page).to_have_url(re.compile(r"/orders/checkout/\?sku_id=\d+&quantity=1$"))
    expect(page.get_by_test_id("place-order")).to_be_enabled()
    assert browser_log.problems() == []


def test_the_order_pills_scroll_and_never_wrap_on_a_phone(
    open_page: Callable[..., Page], screenshot: Screenshot
) -> None:
    buyer, _address = make_buyer()
    page = open_page(**PHONE)
    sign_in(page, buyer.email)
    page.goto("/orders/")
    pills = page.get_by_test_id("order-tabs").locator("a")
    expect(pills).to_have_count(5)
    tops = {round(pills.nth(i).bounding_box()["y"]) for i in range(5)}  # type: ignore[index]
    assert len(tops) == 1  # one row
    for index in range(5):
        height = pills.nth(index).evaluate("el => el.getBoundingClientRect().height")
        line = pills.nth(index).evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 20")
        assert height < line * 1.8 + 16  # one line of text plus padding
    screenshot(page, "buying-orders-pills-phone-zh", full_page=False)
