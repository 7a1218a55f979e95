"""A merchant runs the shop from the back office: signs in to the home dashboard, edits a
price in yuan, generates SKUs from options, and ships an order from its own page.

Screenshots: var/screenshots/office/<page>-<language>-<width>x<height>.png
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from circlemart.accounts import services as account_services
from circlemart.accounts.contracts import Role
from circlemart.catalog.models import Product, Sku
from circlemart.orders.models import Order
from tests.accounts.factories import PASSWORD, UserFactory
from tests.catalog import factories as catalog_factories
from tests.e2e.conftest import SCREENSHOTS, BrowserLog
from tests.orders.conftest import make_buyer, place

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
SIZES = [(1366, 900), (390, 844)]


def merchant_signs_in(page: Page, email: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def a_shop() -> tuple[Any, Product, Order]:
    admin = UserFactory(is_superuser=True, is_staff=True)
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    merchant = UserFactory()
    account_services.role_grant(actor=admin, user=merchant, role=Role.MERCHANT_STAFF)
    product = catalog_factories.product(title="纯棉T恤", prices=(19900,), stock=(3,))
    buyer, address = make_buyer()
    order = place(buyer, address, product.skus.get().pk, quantity=1)
    # Paid (the payment flow has its own journeys): what the merchant meets next morning.
    Order.objects.filter(pk=order.pk).update(
        status="paid", paid_amount=order.total, paid_at=timezone.now()
    )
    return merchant, product, order


def test_a_merchant_prices_in_yuan_generates_skus_and_ships_an_order(
    open_page: Callable[..., Page], browser_log: BrowserLog
) -> None:
    merchant, product, order = a_shop()
    folder = SCREENSHOTS / "office"
    folder.mkdir(parents=True, exist_ok=True)
    page = open_page(**DESKTOP)
    merchant_signs_in(page, merchant.email)

    # The home dashboard: today's figures and what waits for the merchant.
    dashboard = page.get_by_test_id("merchant-dashboard")
    expect(dashboard).to_be_visible()
    for tile in ("gmv", "orders", "paid", "visitors", "to-ship", "aftersales", "low-stock"):
        expect(page.get_by_test_id(f"tile-{tile}")).to_be_visible()
    expect(page.get_by_test_id("tile-to-ship")).to_contain_text("1")
    expect(page.get_by_test_id("tile-low-stock")).to_contain_text("1")  # 3 left, minus 1 held
    expect(page.locator("[data-chart=week] .main-svg").first).to_be_attached()

    # A price in yuan: 59.90 is saved as 5990 fen and listed as ¥59.90.
    page.goto(f"/admin/catalog/product/{product.pk}/change/")
    matrix = page.get_by_test_id("sku-matrix")
    expect(matrix.get_by_test_id("sku-row")).to_have_count(1)
    matrix.get_by_test_id("sku-price").fill("59.90")
    page.locator("button[name=_continue]").first.click()
    expect(page.get_by_test_id("sku-matrix").get_by_test_id("sku-price")).to_have_value("59.90")
    sku = product.skus.get()
    assert sku.price == 5990
    page.goto("/admin/catalog/product/?q=" + product.code)
    expect(page.locator("#result_list")).to_contain_text("¥59.90")

    # SKUs from options: 颜色 × 尺码 → four rows; the old SKU keeps its id and stock.
    page.goto(f"/admin/catalog/product/{product.pk}/change/")
    matrix = page.get_by_test_id("sku-matrix")
    options = matrix.get_by_test_id("sku-option")
    options.nth(0).locator("[data-option-values]").fill("色0, 红")
    matrix.get_by_test_id("sku-add-option").click()
    options.nth(1).locator("[data-option-name]").fill("尺码")
    options.nth(1).locator("[data-option-values]").fill("S, M")
    matrix.get_by_test_id("sku-generate").click()
    expect(matrix.get_by_test_id("sku-row")).to_have_count(4)
    matrix.get_by_test_id("sku-stock").nth(1).fill("8")
    page.locator("button[name=_continue]").first.click()
    expect(page.get_by_test_id("sku-matrix").get_by_test_id("sku-row")).to_have_count(4)
    active = Sku.objects.filter(product=product, is_active=True)
    assert sorted(active.values_list("options_key", flat=True)) == [
        "尺码=M|颜色=红",
        "尺码=M|颜色=色0",
        "尺码=S|颜色=红",
        "尺码=S|颜色=色0",
    ]
    assert set(active.values_list("price", flat=True)) == {5990}
    assert Sku.objects.get(pk=sku.pk).is_active is False  # ordered once: kept, deactivated

    # Ship from the order's own page: to-ship tile → the order → Ship → carrier + tracking.
    page.goto("/admin/")
    page.get_by_test_id("tile-to-ship").click()
    page.get_by_role("link", name=order.number).click()
    page.locator(f"a[href$='/admin/orders/order/{order.pk}/ship/']").first.click()
    form = page.get_by_test_id("ship-form")
    expect(form).to_be_visible()
    form.get_by_test_id("tracking-number").fill("SF 12!")
    form.get_by_test_id("action-submit").click()
    expect(page.get_by_test_id("field-errors")).to_have_count(2)  # a carrier, a valid number
    form = page.get_by_test_id("ship-form")
    form.locator("select[name=carrier]").select_option(index=1)
    form.get_by_test_id("tracking-number").fill("SF1234567890")
    form.get_by_test_id("action-submit").click()
    expect(page).to_have_url(re.compile(rf"/admin/orders/order/{order.pk}/change/$"))
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == ("shipped", "SF1234567890")
    assert browser_log.problems() == []


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_back_office_screenshots(
    open_page: Callable[..., Page], browser_log: BrowserLog, language: str
) -> None:
    merchant, product, order = a_shop()
    folder = SCREENSHOTS / "office"
    folder.mkdir(parents=True, exist_ok=True)
    pages = {
        "dashboard": "/admin/",
        "product-change": f"/admin/catalog/product/{product.pk}/change/",
        "order-change": f"/admin/orders/order/{order.pk}/change/",
        "ship-form": f"/admin/orders/order/{order.pk}/ship/",
    }
    for width, height in SIZES:
        page = open_page(
            viewport={"width": width, "height": height},
            locale="zh-CN" if language == "zh-hans" else "en-US",
        )
        merchant_signs_in(page, merchant.email)
        for name, path in pages.items():
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(
                path=str(folder / f"{name}-{language}-{width}x{height}.png"), full_page=True
            )
    assert browser_log.problems() == []
