"""Recommendations in a real browser under the strict CSP: sign in → the home "for you" grid
shows products with reasons → open one (the click is counted) → its similar section → back
home, the grid now starts from what was just viewed → turn personalisation off in the account
settings → the home grid says it is not personalised. Screenshots of the surfaces on a phone
and a desktop, in Chinese and English, land in var/screenshots/recommend-*.png."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Locator, Page, expect

from circlemart.recommend.bundle import use_bundle_for_tests
from circlemart.recommend.models import PersonalisationPreference, RecommendationClick
from circlemart.recommend.serving.catalogue import forget_facts
from tests.accounts.factories import UserFactory
from tests.e2e.conftest import PHONE, SCREENSHOTS, BrowserLog, Screenshot, sign_in
from tests.recommend.serving.bundles import make_bundle
from tests.recommend.serving.shop import Shop, make_shop

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
TITLES = [
    "手冲咖啡壶 细口",
    "无线蓝牙降噪耳机",
    "保湿精华液 30ml",
    "纯棉短袖T恤",
    "有机燕麦片 1kg",
    "运动速干跑步鞋",
    "猫粮 成猫 2kg",
    "婴儿湿巾 80抽",
    "蓝牙机械键盘",
    "防晒霜 SPF50",
    "咖啡豆 中烘 500g",
    "头戴式耳机 折叠",
    "玻尿酸面膜 10片",
    "牛仔外套 宽松",
    "坚果礼盒 混合",
    "瑜伽垫 加厚",
    "猫砂 豆腐 6L",
    "奶瓶 宽口 240ml",
    "无线鼠标 静音",
    "身体乳 保湿",
]


@pytest.fixture
def shop_with_model(db: Any) -> Iterator[tuple[Shop, Any]]:
    """20 products; the model knows one shopper (products 1–8, "because you viewed" product
    0), and each of those has two neighbours further down the catalogue."""
    forget_facts()
    shop = make_shop(len(TITLES), titles=TITLES)
    ids = shop.ids()
    shopper = UserFactory(nickname="小推")
    bundle = make_bundle(
        items=ids,
        users=[shopper.pk],
        candidates={shopper.pk: [(ids[n], 1.0 - n / 20, ids[0]) for n in range(1, 9)]},
        similar={ids[n]: [(ids[n + 10], 0.9), (ids[n + 11], 0.8)] for n in range(1, 9)},
        bought_together={ids[1]: [(ids[11], 0.9), (ids[12], 0.8)]},
        popularity={product_id: float(n + 1) for n, product_id in enumerate(ids)},
    )
    with use_bundle_for_tests(bundle):
        yield shop, shopper
    forget_facts()


def _signed_in_cookie(page: Page, user: Any, base_url: str) -> None:
    """Sign in without the login form (whose labels are the page language's)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )


def _shot(locator: Locator, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """The product page reports the click with a request of its own, after it loaded."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _in_cart(user: Any, product_id: int) -> None:
    from circlemart.cart import services as cart_services
    from circlemart.catalog.models import Sku  # test set-up only

    cart_id = cart_services.cart_ensure(user_id=user.pk)
    sku = Sku.objects.filter(product_id=product_id).get()
    cart_services.cart_add(cart_id=cart_id, sku_id=sku.pk, quantity=1)


def _for_you_cards(page: Page) -> Any:
    page.get_by_test_id("for-you-slot").scroll_into_view_if_needed()
    grid = page.get_by_test_id("for-you-grid")
    expect(grid).to_be_visible()
    return grid.get_by_test_id("product-card")


def _revealed(page: Page, test_id: str) -> Any:
    """The related section loads when it comes into view; on a loaded machine the gallery and
    reviews above it may still be pushing it down after a first scroll, so scroll until the
    fragment is there."""
    target = page.get_by_test_id(test_id)
    for _attempt in range(40):
        if target.count():
            break
        page.get_by_test_id("related").scroll_into_view_if_needed()
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(250)
    target.scroll_into_view_if_needed()
    return target


def _first_product_id(cards: Any) -> int:
    return int(cards.first.get_attribute("data-track-product"))


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_for_you_similar_session_and_the_privacy_switch(
    open_page: Callable[..., Page],
    browser_log: BrowserLog,
    screenshot: Screenshot,
    shop_with_model: tuple[Shop, Any],
) -> None:
    shop, shopper = shop_with_model
    titles = {product.pk: product.title for product in shop.products}
    page = open_page(**DESKTOP)
    sign_in(page, shopper.email)

    # Home: the shopper's own candidates, each with its reason.
    page.goto("/")
    cards = _for_you_cards(page)
    expect(cards.first.get_by_test_id("rec-reason")).to_have_text(f"因为你看过「{TITLES[0]}」")
    assert {_first_product_id(cards)} <= {shop.products[n].pk for n in range(1, 9)}
    expect(page.get_by_test_id("for-you-title")).to_be_visible()
    _shot(page.get_by_test_id("for-you"), "recommend-for-you-desktop-zh")

    # Open the first recommendation: its link carries the list and position.
    opened = _first_product_id(cards)
    cards.first.locator("a").click()
    expect(page.get_by_test_id("product-title")).to_have_text(titles[opened])
    assert "rl=" in page.url
    assert "rp=0" in page.url
    similar = _revealed(page, "rec-similar")
    expect(similar.get_by_test_id("product-card")).to_have_count(2)
    neighbours = {
        int(card.get_attribute("data-track-product") or 0)
        for card in similar.get_by_test_id("product-card").all()
    }
    screenshot(page, "recommend-product-desktop-zh", full_page=False)
    _wait_for(lambda: RecommendationClick.objects.filter(object_id=opened).exists())
    assert RecommendationClick.objects.get().surface == "for_you"

    # Back home: the grid starts from what was just viewed.
    page.get_by_test_id("nav-home").click()
    cards = _for_you_cards(page)
    assert _first_product_id(cards) in neighbours
    expect(cards.first.get_by_test_id("rec-reason")).to_have_text(f"因为你看过「{titles[opened]}」")
    assert opened not in [int(c.get_attribute("data-track-product")) for c in cards.all()]

    # Account settings: turn personalisation off (PIPL art. 24).
    page.goto("/accounts/profile/edit/")
    toggle = page.get_by_test_id("personalisation-toggle")
    expect(toggle).to_be_checked()
    toggle.uncheck()
    page.get_by_test_id("personalisation-save").click()
    expect(page.get_by_test_id("personalisation-saved")).to_be_visible()
    _shot(page.get_by_test_id("personalisation"), "recommend-settings-desktop-zh")
    assert PersonalisationPreference.objects.get(user=shopper).is_personalised is False

    page.goto("/")
    cards = _for_you_cards(page)
    expect(page.get_by_test_id("for-you-not-personalised")).to_be_visible()
    expect(page.get_by_test_id("for-you")).to_have_attribute("data-personalised", "false")
    # Everyone's list now: the most popular first, nothing "because you viewed".
    assert _first_product_id(cards) == shop.products[-1].pk
    expect(page.get_by_text("因为你看过")).to_have_count(0)
    screenshot(page, "recommend-for-you-off-desktop-zh", full_page=False)
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_surfaces_on_a_phone_and_in_english(
    open_page: Callable[..., Page],
    browser_log: BrowserLog,
    screenshot: Screenshot,
    shop_with_model: tuple[Shop, Any],
    live_server: Any,
) -> None:
    shop, shopper = shop_with_model
    _in_cart(shopper, shop.products[1].pk)
    for locale, suffix in (("zh-CN", "zh"), ("en-US", "en")):
        phone = open_page(locale=locale, **PHONE)
        _signed_in_cookie(phone, shopper, live_server.url)
        phone.goto("/")
        cards = _for_you_cards(phone)
        expect(cards.first.get_by_test_id("rec-reason")).to_be_visible()
        # Both boxes from one layout (the page may still scroll between two separate reads).
        boxes = phone.get_by_test_id("for-you-grid").evaluate(
            """grid => Array.from(grid.querySelectorAll('[data-testid=product-card]'))
                 .slice(0, 2).map(card => card.getBoundingClientRect().toJSON())"""
        )
        assert boxes[0]["top"] == boxes[1]["top"]  # two columns side by side
        assert boxes[1]["left"] > boxes[0]["left"]
        assert boxes[1]["right"] <= 390
        cards.nth(2).scroll_into_view_if_needed()
        screenshot(phone, f"recommend-for-you-mobile-{suffix}", full_page=False)
        phone.goto(f"/p/{shop.products[1].pk}/")
        similar = _revealed(phone, "rec-similar")
        expect(similar.get_by_test_id("product-card")).to_have_count(2)
        screenshot(phone, f"recommend-product-mobile-{suffix}", full_page=False)
        phone.goto("/cart/")
        addons = phone.get_by_test_id("rec-cart-addons")
        expect(addons.get_by_test_id("product-card")).to_have_count(2)
        addons.scroll_into_view_if_needed()
        screenshot(phone, f"recommend-cart-mobile-{suffix}", full_page=False)
        phone.goto("/accounts/profile/edit/")
        privacy = phone.get_by_test_id("personalisation")
        privacy.scroll_into_view_if_needed()
        expect(phone.get_by_test_id("personalisation-toggle")).to_be_checked()
        screenshot(phone, f"recommend-settings-mobile-{suffix}", full_page=False)
        desktop = open_page(locale=locale, **DESKTOP)
        desktop.goto("/")
        _for_you_cards(desktop).first.scroll_into_view_if_needed()
        screenshot(desktop, f"recommend-for-you-anonymous-desktop-{suffix}", full_page=False)
    assert browser_log.problems() == []


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_new_shopper_picks_interests_under_the_empty_grid(
    open_page: Callable[..., Page],
    browser_log: BrowserLog,
    screenshot: Screenshot,
    shop_with_model: tuple[Shop, Any],
    live_server: Any,
) -> None:
    shop, _shopper = shop_with_model
    newcomer = UserFactory(nickname="新人")
    phone = open_page(**PHONE)
    _signed_in_cookie(phone, newcomer, live_server.url)
    phone.goto("/")
    phone.get_by_test_id("for-you-slot").scroll_into_view_if_needed()
    form = phone.get_by_test_id("interests-form")
    expect(form).to_be_visible()
    form.scroll_into_view_if_needed()
    screenshot(phone, "recommend-onboarding-mobile-zh", full_page=False)

    chosen = shop.categories[2]
    form.get_by_text(chosen.name, exact=True).click()
    phone.get_by_test_id("interests-save").click()

    expect(phone.get_by_test_id("interests-form")).to_have_count(0)
    first = phone.get_by_test_id("for-you-grid").get_by_test_id("product-card").first
    expect(first.get_by_test_id("rec-reason")).to_contain_text(chosen.name)
    in_category = {p.pk for p in shop.products if p.category_id == chosen.pk}
    assert int(first.get_attribute("data-track-product") or 0) in in_category
    assert browser_log.problems() == []
