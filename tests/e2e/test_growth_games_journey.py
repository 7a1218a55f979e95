"""Games and the points mall in a real browser, on a phone, under the strict CSP: spin the
lucky wheel (the server decides, the wheel turns to the slot it chose) and find the prize in
my prizes; redeem a coupon in the points mall and find it in my coupons."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from circlemart.growth.games.models import GameSpin
from circlemart.growth.points import selectors as points_selectors
from circlemart.promotions.coupons.models import UserCoupon
from tests.accounts.factories import UserFactory
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in
from tests.growth.games.conftest import make_game, points_prize
from tests.growth.mall.test_services import make_item, rich_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_spin_the_wheel_then_redeem_a_coupon_in_the_mall(
    open_page: Callable[..., Page], screenshot: Screenshot, browser_log: BrowserLog
) -> None:
    # Every slot pays points, so whichever the server draws, the journey sees a prize.
    make_game(
        prizes=[points_prize(10, weight=1), points_prize(20, weight=1), points_prize(30, weight=1)]
    )
    item = make_item(name="满 199 减 30 券", name_en="¥30 off coupon", points_price=100)
    shopper = rich_user(points=100)
    UserFactory()  # someone else, whose coupons never show
    page = open_page(**PHONE)
    sign_in(page, shopper.email)

    page.goto("/growth/games/")
    page.get_by_test_id("game-card").get_by_role("link").click()
    expect(page.get_by_test_id("wheel")).to_be_visible()
    expect(page.get_by_test_id("chances")).to_contain_text("1")
    screenshot(page, "growth-games-wheel-phone")
    page.get_by_test_id("play").click()
    # The wheel turns first (the answer is already recorded), then the page shows the prize.
    expect(page.get_by_test_id("play-result")).to_be_visible(timeout=20_000)
    spin = GameSpin.objects.get(user=shopper)
    expect(page.get_by_test_id("play-result")).to_contain_text(spin.prize_name)
    assert page.get_by_test_id("play-result").get_attribute("data-prize-id") == str(spin.prize_id)
    expect(page.get_by_test_id("play")).to_be_disabled()
    screenshot(page, "growth-games-result-phone")

    page.get_by_test_id("my-prizes-link").click()
    expect(page.get_by_test_id("prize-row")).to_have_count(1)
    expect(page.get_by_test_id("prize-row")).to_contain_text(spin.prize_name)

    page.goto("/growth/mall/")
    card = page.get_by_test_id("mall-item").filter(has_text=item.name)
    card.get_by_test_id("redeem").click()
    expect(page.get_by_test_id("redemption")).to_have_count(1)
    expect(page.get_by_test_id("redemption")).to_contain_text(item.name)
    screenshot(page, "growth-mall-redeemed-phone")
    page.goto("/promotions/me/")
    expect(page.get_by_test_id("my-coupons")).to_contain_text("满100减10")  # the item's coupon
    assert (
        UserCoupon.objects.filter(owner=shopper, template_id=item.coupon_template_id).count() == 1
    )
    assert points_selectors.points_balance(shopper.pk) == spin.points  # 100 spent, prize kept
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []
