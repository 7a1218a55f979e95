"""Sign-in past the attempt limit, in a real browser: the page runs the proof-of-work check
itself (static script under the strict Content-Security-Policy), then the right password
signs in; the owner is never locked out (issue 11, item 6)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.accounts.factories import PASSWORD, UserFactory
from tests.e2e.conftest import BrowserLog, Screenshot


def submit(page: Page, email: str, password: str) -> None:
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(password)
    page.get_by_test_id("login-form").get_by_role("button", name="登录").click()


@pytest.mark.e2e
def test_the_browser_solves_the_security_check_and_signs_in(
    phone_page: Page, browser_log: BrowserLog, screenshot: Screenshot, settings: Any
) -> None:
    settings.LOGIN_STEP_UP_AFTER_FAILURES = 2
    UserFactory(email="mei@example.com")
    page = phone_page
    page.goto("/accounts/login/")

    for _ in range(2):
        submit(page, "mei@example.com", "not-the-Password-1")
        expect(page.locator(".errorlist[data-field=password]")).to_have_text("邮箱或密码错误。")
    submit(page, "mei@example.com", PASSWORD)

    expect(page.locator(".errorlist[data-field=__all__]")).to_have_text(
        "此设备的登录尝试次数过多。请完成安全验证后重新登录。"
    )
    status = page.locator("[data-challenge-status]")
    expect(status).to_have_attribute("data-solved", "true")
    expect(status).to_have_text("安全验证已完成，请重新输入密码登录。")
    assert page.locator("input[name=nonce]").input_value().isdigit()
    screenshot(page, "signin-security-check-mobile")

    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_test_id("login-form").get_by_role("button", name="登录").click()

    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    expect(page.get_by_test_id("nav-profile")).to_be_visible()
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []
