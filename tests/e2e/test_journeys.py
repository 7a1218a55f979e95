"""A shopper's first visits, in a real browser: sign up, sign in, edit the profile, switch
language, sign in by phone code (htmx) — under the strict Content-Security-Policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from circlemart.accounts.models import User
from circlemart.accounts.sms import MemorySmsProvider
from circlemart.social.services import follow_create
from tests.accounts.factories import UserFactory
from tests.e2e.conftest import BrowserLog, Screenshot

EMAIL = "xiaoming@example.com"
PASSWORD = "blue-Harbor-42-lantern"


def field(page: Page, name: str) -> Locator:
    """The labelled block of one form field: label, input, help and its own error list."""
    return page.locator(".field", has=page.locator(f"[name={name}]"))


def assert_browser_was_happy(log: BrowserLog) -> None:
    assert log.csp_violations() == []
    assert log.problems() == []


def sign_up(page: Page, *, email: str, nickname: str, password: str) -> None:
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("昵称").fill(nickname)
    page.get_by_label("密码").fill(password)
    page.get_by_test_id("signup-form").get_by_role("button", name="注册").click()


def sign_out(page: Page) -> None:
    # On a phone the header keeps the essentials; signing out lives on the "me" page.
    page.get_by_test_id("tab-me").click()
    page.get_by_test_id("me-sign-out").click()
    expect(page.locator(".topnav").get_by_role("link", name="登录")).to_be_visible()


@pytest.mark.e2e
def test_phone_journey_sign_up_sign_in_and_edit_profile(
    phone_page: Page,
    browser_log: BrowserLog,
    screenshot: Screenshot,
    tmp_path: Path,
) -> None:
    page = phone_page
    avatar_file = tmp_path / "selfie.jpg"
    Image.new("RGB", (1200, 900), (255, 122, 69)).save(avatar_file, format="JPEG")

    page.goto("/")
    expect(page.get_by_role("heading", name="发现好物，分享心得，和好友一起买")).to_be_visible()
    screenshot(page, "home-mobile")

    # Sign up from the header link and land on the new profile.
    page.locator(".topnav").get_by_role("link", name="注册").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    sign_up(page, email=EMAIL, nickname="小明", password=PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    expect(page.get_by_role("status")).to_have_text("欢迎加入 Circlemart！")
    expect(page.get_by_test_id("nickname")).to_have_text("小明")
    assert User.objects.get().password.startswith("argon2$argon2id$")

    # Sign out, then sign in again with the password.
    sign_out(page)
    page.locator(".topnav").get_by_role("link", name="登录").click()
    page.get_by_label("邮箱").fill(EMAIL)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_test_id("login-form").get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))

    # Edit the profile, avatar included.
    page.get_by_test_id("edit-profile").click()
    page.get_by_label("昵称").fill("旅行的小明")
    page.get_by_label("个人简介").fill("周末露营，工作日咖啡。")
    page.get_by_label("城市").fill("杭州")
    page.get_by_label("兴趣爱好").fill("露营，咖啡, 摄影")
    page.get_by_label("头像").set_input_files(str(avatar_file))
    screenshot(page, "profile-edit-mobile")
    save = page.get_by_test_id("profile-form").get_by_role("button", name="保存")
    assert_clear_of_the_tab_bar(page, save)
    screenshot(page, "profile-edit-mobile-bottom", full_page=False)
    save.click()

    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    expect(page.get_by_role("status")).to_have_text("资料已保存。")
    expect(page.get_by_test_id("nickname")).to_have_text("旅行的小明")
    expect(page.get_by_test_id("bio")).to_have_text("周末露营，工作日咖啡。")
    expect(page.get_by_test_id("profile")).to_contain_text("杭州 · 买家")
    expect(page.get_by_test_id("interests").locator("li")).to_have_text(["露营", "咖啡", "摄影"])
    avatar = page.get_by_test_id("avatar")
    expect(avatar).to_be_visible()
    expect(avatar).to_have_attribute("src", re.compile(r"^/media/avatars/\d+/\w+\.webp$"))
    assert avatar.evaluate("image => [image.complete, image.naturalWidth]") == [True, 512]
    box = avatar.bounding_box()
    assert box is not None
    assert (round(box["width"]), round(box["height"])) == (88, 88)
    assert_fits_the_screen(page)
    screenshot(page, "profile-mobile")

    # A second sign-up with the same email: the error sits with the email field.
    sign_out(page)
    page.goto("/accounts/signup/")
    sign_up(page, email=EMAIL.upper(), nickname="另一个小明", password=PASSWORD)
    email_field = field(page, "email")
    expect(email_field.locator(".errorlist")).to_have_text("该邮箱已被注册。")
    expect(field(page, "password").locator(".errorlist")).to_have_count(0)
    expect(page.get_by_label("邮箱")).to_have_value(EMAIL.upper())
    error_box = email_field.locator(".errorlist").bounding_box()
    input_box = page.get_by_label("邮箱").bounding_box()
    assert error_box is not None
    assert input_box is not None
    assert error_box["y"] >= input_box["y"] + input_box["height"]
    assert User.objects.count() == 1
    assert_fits_the_screen(page)
    screenshot(page, "signup-error-mobile")

    assert_browser_was_happy(browser_log)


@pytest.mark.e2e
def test_phone_home_lists_popular_creators(
    phone_page: Page, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    creators = [
        UserFactory(nickname=name, city=city)
        for name, city in [("小红", "上海"), ("阿杰", "成都"), ("林林", ""), ("Momo", "深圳")]
    ]
    fans = UserFactory.create_batch(4)
    for rank, creator in enumerate(creators):
        for fan in fans[: len(creators) - rank]:
            follow_create(follower_id=fan.pk, followee_id=creator.pk)

    phone_page.goto("/")

    cards = phone_page.locator(".card.person")
    expect(cards).to_have_count(4)
    expect(cards.first).to_contain_text("小红")
    expect(cards.first).to_contain_text("上海 · 4 位粉丝")
    expect(cards.nth(2)).to_have_text(re.compile(r"^\s*林\s*林林\s*2 位粉丝\s*$"))
    assert_fits_the_screen(phone_page)
    screenshot(phone_page, "home-creators-mobile")
    assert_browser_was_happy(browser_log)


@pytest.mark.e2e
def test_desktop_language_switch_to_english_and_back(
    page: Page, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()

    page.get_by_test_id("lang-switch").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
    expect(page.get_by_test_id("lang-switch")).to_have_text("中文")
    screenshot(page, "login-desktop-en")

    page.get_by_role("link", name="Circlemart").first.click()
    expect(page.get_by_role("heading", name="Discover, share and shop together")).to_be_visible()
    expect(page.get_by_role("heading", name="Popular creators")).to_be_visible()
    screenshot(page, "home-desktop-en")

    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_role("heading", name="人气达人")).to_be_visible()
    assert_browser_was_happy(browser_log)


@pytest.mark.e2e
def test_phone_code_sign_in_with_htmx(
    phone_page: Page, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    page = phone_page
    page.goto("/accounts/login/phone/")
    page.get_by_label("手机号").fill("138 0013 8000")

    page.get_by_role("button", name="获取验证码").click()

    # htmx swapped the status line in; the page itself did not move.
    expect(page.get_by_test_id("code-sent")).to_have_text("验证码已发送，300 秒内有效。")
    expect(page).to_have_url(re.compile(r"/accounts/login/phone/$"))
    [(phone, text)] = MemorySmsProvider.outbox
    assert phone == "+8613800138000"
    code = re.findall(r"(?<!\d)\d{6}(?!\d)", text)[0]
    screenshot(page, "phone-code-mobile")

    page.get_by_label("验证码", exact=True).fill(code)
    page.get_by_test_id("phone-form").get_by_role("button", name="登录").click()

    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    expect(page.get_by_role("status")).to_have_text("欢迎加入 Circlemart！")
    assert User.objects.get().phone == "+8613800138000"
    assert_browser_was_happy(browser_log)


@pytest.mark.e2e
def test_htmx_code_request_with_a_bad_number_shows_the_error_in_place(
    phone_page: Page, browser_log: BrowserLog
) -> None:
    page = phone_page
    page.goto("/accounts/login/phone/")
    page.get_by_label("手机号").fill("12345")

    page.get_by_role("button", name="获取验证码").click()

    expect(page.get_by_test_id("code-error")).to_have_text("请输入有效的手机号码。")
    assert MemorySmsProvider.outbox == []
    assert log_without_expected_400(browser_log) == []


def log_without_expected_400(log: BrowserLog) -> list[str]:
    """Chromium logs the refused code request (HTTP 400) as a console error; nothing else may."""
    expected = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    return [text for text in log.problems() if text != expected]


def assert_clear_of_the_tab_bar(page: Page, element: Locator) -> None:
    """Scrolled to the very bottom, the fixed tab bar does not cover the element."""
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    element_box = element.bounding_box()
    bar_box = page.locator(".tabbar").bounding_box()
    assert element_box is not None
    assert bar_box is not None
    assert element_box["y"] + element_box["height"] <= bar_box["y"]


def assert_fits_the_screen(page: Page) -> None:
    """Nothing pokes out sideways on a phone (no horizontal scrolling)."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
