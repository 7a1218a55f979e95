"""Both languages in a real browser: on a phone in Chinese the coupon centre reads 9折 and
shows a free-shipping coupon's name once, the flash sale counts down "13天 04:05:06"; the
language switch turns the same pages English ("10% off", "13d 04:05:06") with no Chinese left
outside user and merchant content. Screenshots of both languages at both sizes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from circlemart.core import clock
from circlemart.promotions.coupons.contracts import CouponKind
from circlemart.promotions.flash.models import FlashItem, FlashSession
from tests.e2e.conftest import DESKTOP, PHONE, BrowserLog, Screenshot
from tests.orders.conftest import make_sku
from tests.promotions.conftest import template

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Text a reader sees that is not user or merchant content (translate="no") and not in another
# declared language (the switch's 中文): the browser's own view of the rendered-language check.
UI_TEXT = """() => {
  const pieces = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const pageLang = document.documentElement.lang.slice(0, 2);
  let node;
  while ((node = walker.nextNode())) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, [translate="no"]')) continue;
    const declared = parent.closest('[lang]');
    if (declared && declared.lang.slice(0, 2) !== pageLang) continue;
    if (parent.offsetParent === null && getComputedStyle(parent).position !== 'fixed') continue;
    if (node.textContent.trim()) pieces.push(node.textContent.trim());
  }
  return pieces;
}"""
CJK = re.compile(r"[\u3400-\u9fff]")


def a_world() -> None:
    template(
        name="九折券",
        name_en="10% off everything",
        kind=CouponKind.PERCENT,
        amount=0,
        percent=10,
    )
    template(name="包邮券", name_en="Free shipping", kind=CouponKind.FREE_SHIPPING, amount=0)
    starts = clock.now() - timedelta(minutes=5)
    session = FlashSession.objects.create(
        name="双十二秒杀",
        starts_at=starts,
        ends_at=clock.now() + timedelta(days=13, hours=4),
        is_active=True,
    )
    FlashItem.objects.create(
        session=session, sku_id=make_sku(price=9900), flash_price=4900, flash_stock=5
    )


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_coupons_and_countdowns_read_naturally_in_both_languages(
    open_page: Callable[..., Page], browser_log: BrowserLog, screenshot: Screenshot, size: str
) -> None:
    a_world()
    page = open_page(**(PHONE if size == "phone" else DESKTOP))

    page.goto("/promotions/coupons/")
    headlines = page.get_by_test_id("coupon-headline")
    expect(headlines.filter(has_text="9折")).to_have_count(1)
    free_shipping = page.get_by_test_id("claimable").filter(has_text="包邮券")
    expect(free_shipping).to_have_count(1)
    assert free_shipping.inner_text().count("包邮券") == 1  # the kind and the name, once
    screenshot(page, f"language-coupons-zh-{size}")

    page.goto("/promotions/flash/")
    expect(page.get_by_test_id("flash-countdown")).to_have_text(
        re.compile(r"^13天 0[34]:\d\d:\d\d$")
    )
    screenshot(page, f"language-flash-zh-{size}")

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("flash-countdown")).to_have_text(
        re.compile(r"^13d 0[34]:\d\d:\d\d$")
    )
    assert not [text for text in page.evaluate(UI_TEXT) if CJK.search(text)]
    screenshot(page, f"language-flash-en-{size}")

    page.goto("/promotions/coupons/")
    expect(headlines.filter(has_text="10% off")).to_have_count(1)
    expect(page.get_by_test_id("claimable").filter(has_text="Free shipping")).to_have_count(1)
    assert not [text for text in page.evaluate(UI_TEXT) if CJK.search(text)]
    screenshot(page, f"language-coupons-en-{size}")
    assert browser_log.problems() == []
