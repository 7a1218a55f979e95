"""Promotions in a real browser, on a phone: claim a coupon in the claim centre → buy a flash
item on "flash sales now" and pay on the gateway page → open the product of a group deal, join
a friend's group from the product page's block and pay → the group is complete and the order
may ship. Under the strict CSP."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from circlemart.core import clock
from circlemart.core.events import relay_pending
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from circlemart.payments import gateway
from circlemart.promotions.coupons.models import UserCoupon
from circlemart.promotions.flash.models import FlashItem, FlashSession
from circlemart.promotions.group import services as group_services
from circlemart.promotions.group.models import Group, GroupDeal
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in
from tests.orders.conftest import make_buyer, make_sku, token_of
from tests.promotions.conftest import template

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gateway_on_live_server(settings: Any, live_server: Any) -> None:
    settings.SITE_URL = live_server.url
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "in_process"
    settings.PAYMENTS_TEST_MODE = True


def settle() -> None:
    for _round in range(20):
        if not relay_pending():
            return


def a_friends_open_group(deal: GroupDeal) -> Group:
    leader, address = make_buyer()
    ref = group_services.group_open(buyer_id=leader.pk, deal_id=deal.pk, address_id=address)
    payment = order_services.order_pay(
        buyer_id=leader.pk, number=ref.order_number, return_url="/orders/x/"
    )
    gateway.charge_complete(token=token_of(payment.redirect_url), pay=True)
    settle()
    group = Group.objects.get(pk=ref.group_id)
    assert group.status == "open"
    return group


def pay_on_the_gateway(page: Page) -> None:
    expect(page.get_by_test_id("test-gateway")).to_be_visible()
    page.get_by_test_id("pay").click()
    expect(page).to_have_url(re.compile(r"/orders/CM\w+/$"))
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")


def test_claim_a_coupon_buy_a_flash_item_and_join_a_group(
    open_page: Callable[..., Page],
    gateway_on_live_server: None,
    screenshot: Screenshot,
    browser_log: BrowserLog,
) -> None:
    coupon = template(name="新人券", name_en="Welcome coupon", amount=500)
    now = clock.now()
    session = FlashSession.objects.create(
        name="午间秒杀", starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1)
    )
    flash = FlashItem.objects.create(
        session=session,
        sku_id=make_sku(price=9900, stock=20),
        flash_price=1990,
        flash_stock=10,
    )
    deal = GroupDeal.objects.create(
        name="两人团",
        sku_id=make_sku(price=8800, stock=20),
        group_price=4900,
        group_size=2,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
    )
    group = a_friends_open_group(deal)
    buyer, _address = make_buyer()
    page = open_page(**PHONE)

    sign_in(page, buyer.email)

    # 1. Claim a coupon.
    page.goto("/promotions/coupons/")
    page.get_by_test_id("claim").first.click()
    expect(page.get_by_test_id("claim-ok")).to_be_visible()
    screenshot(page, "promotions-1-claimed-phone", full_page=False)
    assert UserCoupon.objects.filter(owner=buyer, template=coupon).count() == 1

    # 2. Buy a flash item and pay.
    page.goto("/promotions/flash/")
    expect(page.get_by_test_id("flash-countdown").first).to_have_text(re.compile(r"\d\d:\d\d"))
    page.get_by_test_id("flash-buy").click()
    pay_on_the_gateway(page)
    flash_order = Order.objects.get(buyer=buyer)
    assert flash_order.subtotal == flash.flash_price == 1990
    screenshot(page, "promotions-2-flash-paid-phone", full_page=False)

    # 3. Join the friend's group from the product page, and pay.
    page.goto(f"/p/{deal.sku.product_id}/")
    block = page.get_by_test_id("product-group-deal")
    expect(block).to_be_visible()
    expect(block.get_by_test_id("group-price")).to_contain_text("49")
    expect(block.get_by_test_id("group-countdown")).to_have_text(re.compile(r"\d\d:\d\d"))
    screenshot(page, "promotions-3-product-group-phone")
    block.get_by_test_id("group-join").click()
    pay_on_the_gateway(page)
    group_order = Order.objects.filter(buyer=buyer).exclude(pk=flash_order.pk).get()
    assert group_order.subtotal == 4900

    page.goto(f"/promotions/groups/{group.pk}/")
    expect(page.get_by_test_id("group")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("group-members").locator("li")).to_have_count(2)
    screenshot(page, "promotions-4-group-complete-phone")
    group_order.refresh_from_db()
    assert group_order.fulfilment_hold == ""  # the group is complete: it may ship
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []
