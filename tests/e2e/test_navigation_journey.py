"""Finding one's way in a real browser: the phone tab bar and the home page's activity grid
lead to every activity and back; a signed-in shopper walks home → discover → messages → me;
on a desktop the header carries the section links and product grids use the width."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from circlemart.catalog import services as catalog_services
from circlemart.core.events import relay_pending
from circlemart.social.services import follow_create
from tests.accounts.factories import UserFactory
from tests.catalog import factories
from tests.e2e.conftest import DESKTOP, PHONE, BrowserLog, Screenshot, sign_in
from tests.social.helpers import note

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ACTIVITIES = [
    ("activity-flash", r"/promotions/flash/$"),
    ("activity-coupons", r"/promotions/coupons/$"),
    ("activity-group", r"/deals/group/$"),
    ("activity-bargain", r"/promotions/bargains/$"),
    ("activity-rewards", r"/accounts/login/\?next=/growth/$"),  # a visitor signs in first
]


@pytest.fixture
def shop() -> None:
    electronics = catalog_services.category_create(
        name="数码电器", name_en="Electronics", slug="electronics", parent_id=None
    )
    catalog_services.category_create(name="宠物", name_en="Pets", slug="pets", parent_id=None)
    for number in range(10):
        factories.product(
            title=f"蓝牙耳机 {number:02d}",
            title_en=f"Bluetooth Earphones {number:02d}",
            in_category=electronics,
            prices=(19900 + number * 1000,),
        )
    relay_pending()


def assert_one_line_header(page: Page) -> None:
    """Everything in the phone header sits on one row, inside the screen."""
    row = page.locator(".topbar-row").bounding_box()
    assert row is not None
    assert row["height"] <= 56, row
    width = page.evaluate("() => document.documentElement.clientWidth")
    for element in page.locator(".topbar-row > *:visible, .topnav > *:visible").all():
        box = element.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width + 0.5, element.inner_html()


def test_phone_activity_grid_and_tab_bar(
    open_page: Callable[..., Page],
    browser_log: BrowserLog,
    screenshot: Screenshot,
    shop: None,
) -> None:
    page = open_page(**PHONE)
    page.goto("/")
    expect(page.get_by_test_id("activity-grid")).to_be_visible()
    expect(page.get_by_test_id("tab-home")).to_have_attribute("aria-current", "page")
    expect(page.locator(".category-icon").first).to_be_visible()
    assert page.locator(".category-icon").first.evaluate("image => image.naturalWidth") > 0
    assert_one_line_header(page)
    screenshot(page, "nav-home-phone-zh", full_page=False)

    for testid, address in ACTIVITIES:
        page.get_by_test_id(testid).click()
        expect(page).to_have_url(re.compile(address))
        expect(page.locator("main").get_by_role("heading").first).to_be_visible()
        page.go_back()
        expect(page.get_by_test_id("activity-grid")).to_be_visible()

    # Signed in: discover, messages (with the unread badge on its tab), me.
    shopper = UserFactory(email="nav@example.com", nickname="逛逛")
    follow_create(follower_id=UserFactory().pk, followee_id=shopper.pk)
    relay_pending()  # the follow reaches the shopper's inbox
    sign_in(page, "nav@example.com")
    page.goto("/")
    expect(page.get_by_test_id("tab-messages").get_by_test_id("tab-unread-badge")).to_have_text("1")
    assert_one_line_header(page)
    screenshot(page, "nav-home-phone-signed-in", full_page=False)
    page.get_by_test_id("tab-discover").click()
    expect(page).to_have_url(re.compile(r"/discover/$"))
    expect(page.get_by_test_id("tab-discover")).to_have_attribute("aria-current", "page")
    page.get_by_test_id("tab-messages").click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    expect(page.get_by_test_id("tab-messages")).to_have_attribute("aria-current", "page")
    page.get_by_test_id("tab-me").click()
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    expect(page.get_by_test_id("tab-me")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("me-orders-pending_payment")).to_be_visible()
    screenshot(page, "nav-me-phone-zh")
    page.get_by_test_id("me-orders-paid").click()
    expect(page).to_have_url(re.compile(r"/orders/\?status=paid$"))

    # The post button opens the composer.
    page.get_by_test_id("tab-post").click()
    expect(page).to_have_url(re.compile(r"/notes/new/$"))
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []


def test_desktop_header_sections_and_wide_grids(
    open_page: Callable[..., Page],
    browser_log: BrowserLog,
    screenshot: Screenshot,
    shop: None,
) -> None:
    page = open_page(**{**DESKTOP, "viewport": {"width": 1366, "height": 900}}, locale="en-US")
    page.goto("/")
    expect(page.locator(".tabbar")).to_be_hidden()
    for testid, address in [
        ("nav-discover", r"/discover/$"),
        ("nav-circles", r"/circles/$"),
        ("nav-flash", r"/promotions/flash/$"),
        ("nav-coupons", r"/promotions/coupons/$"),
        ("nav-group", r"/deals/group/$"),
        ("nav-bargain", r"/promotions/bargains/$"),
    ]:
        page.get_by_test_id(testid).click()
        expect(page).to_have_url(re.compile(address))
        expect(page.get_by_test_id(testid)).to_have_attribute("aria-current", "page")
        if testid != "nav-discover":  # the feed opens on its tabs and cards, no heading
            expect(page.locator("main").get_by_role("heading").first).to_be_visible()

    page.goto("/")
    tiles = page.get_by_test_id("hot-products").get_by_test_id("product-card")
    expect(tiles).to_have_count(10)
    tops = [round(tiles.nth(index).bounding_box()["y"]) for index in range(10)]  # type: ignore[index]
    assert tops.count(tops[0]) >= 4, tops  # four or more tiles side by side
    main = page.locator("main.page").bounding_box()
    assert main is not None
    assert main["width"] >= 1100
    screenshot(page, "nav-home-desktop-en")

    page.get_by_test_id("nav-search-input").fill("蓝牙")
    page.get_by_test_id("nav-search-input").press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    grid = page.get_by_test_id("grid").get_by_test_id("product-card")
    expect(grid).to_have_count(10)
    tops = [round(grid.nth(index).bounding_box()["y"]) for index in range(5)]  # type: ignore[index]
    assert len(set(tops)) == 1, tops
    screenshot(page, "nav-listing-desktop-en")
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []


@pytest.fixture
def full_shop() -> None:
    """The demo's eight root categories (each with its icon) and a screen of products."""
    roots = [
        ("数码电器", "Electronics", "electronics"),
        ("美妆护肤", "Beauty", "beauty"),
        ("服饰鞋包", "Fashion", "fashion"),
        ("食品生鲜", "Food", "food"),
        ("家居生活", "Home", "home"),
        ("母婴玩具", "Baby & Toys", "baby"),
        ("运动户外", "Sports", "sports"),
        ("宠物", "Pets", "pets"),
    ]
    categories = [
        catalog_services.category_create(name=name, name_en=name_en, slug=slug, parent_id=None)
        for name, name_en, slug in roots
    ]
    for number in range(12):
        factories.product(
            title=f"无线蓝牙降噪耳机 第{number + 1}代",
            title_en=f"Wireless noise-cancelling earbuds, gen {number + 1}",
            in_category=categories[number % len(categories)],
            prices=(19900 + number * 1000,),
        )
    from tests.promotions.group.test_services import group_deal

    group_deal(price=29900, group_price=19900, size=3)
    author = UserFactory(nickname="露营的阿杰")
    for title in [
        "周末露营装备清单",
        "平价好用的降噪耳机",
        "通勤穿搭一周不重样",
        "猫咪最爱的冻干零食",
    ]:
        note(author, f"{title}，亲测好用 #好物分享", title=title)
    relay_pending()


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_screenshots_of_home_listing_and_me(
    open_page: Callable[..., Page],
    live_server: object,
    browser_log: BrowserLog,
    screenshot: Screenshot,
    full_shop: None,
    language: str,
    size: str,
) -> None:
    options = PHONE if size == "phone" else {"viewport": {"width": 1366, "height": 900}}
    page = open_page(**options)
    UserFactory(email="look@example.com", nickname="小鹿爱逛街")
    sign_in(page, "look@example.com")
    if language == "en":
        page.context.add_cookies(
            [{"name": "django_language", "value": "en", "url": str(live_server.url)}]  # type: ignore[attr-defined]
        )
    page.goto("/")
    page.get_by_test_id("tracking-decline").click()  # the consent banner, answered once
    expect(page.locator("html")).to_have_attribute("lang", "en" if language == "en" else "zh-hans")
    screenshot(page, f"nav-home-{size}-{language}", full_page=size == "desktop")
    page.goto("/c/electronics/")
    expect(page.get_by_test_id("grid")).to_be_visible()
    screenshot(page, f"nav-listing-{size}-{language}", full_page=size == "desktop")
    page.goto("/deals/group/")
    expect(page.get_by_test_id("group-deal-card")).to_have_count(1)
    screenshot(page, f"nav-group-deals-{size}-{language}", full_page=False)
    page.goto("/accounts/profile/")
    expect(page.get_by_test_id("me-orders")).to_be_visible()
    screenshot(page, f"nav-me-{size}-{language}", full_page=size == "desktop")
    if size == "phone":
        assert_one_line_header(page)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []
