"""Browser journeys: Playwright's sync API drives Debian's Chromium against the live server.

Never downloads a browser: tests/conftest.py deselects these tests when /usr/bin/chromium is
missing. Screenshots land in var/screenshots/ for a human to look at.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
from django.db import connection
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from tests.conftest import CHROMIUM

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Assertions wait as long as actions do: a loaded 2-core CI machine answers htmx slowly.
expect.set_options(timeout=15_000)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@dataclass
class BrowserLog:
    """What the browser complained about: console errors, uncaught errors, failed requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [text for text in self.console_errors if "Content Security Policy" in text]

    def problems(self) -> list[str]:
        return self.console_errors + self.page_errors + self.failed_responses


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop running in this thread while it is open;
    # Django refuses ORM calls from such a thread unless told they really are synchronous.
    # Module scope: the loop stops when a worker moves on, so later non-browser tests on the
    # same xdist worker (async_to_sync, asyncio.run) do not find a loop running.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def open_page(
    browser: Browser, live_server: Any, browser_log: BrowserLog, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """open_page(**PHONE) → a fresh browser context (own cookies) on the live server."""
    contexts: list[BrowserContext] = []
    # On SQLite the live server's threads share the test's one in-memory connection, so a
    # product page's "viewed" beacon writing at the same moment as the test's own click (add to
    # cart…) can break both transactions. Journeys that are not about recommendations do not
    # need the beacon; on PostgreSQL every request has its own connection and it stays on.
    drop_view_beacon = connection.vendor == "sqlite" and "recommend" not in request.node.nodeid

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            browser_log.console_errors.append(message.text)

    def open_(**options: Any) -> Page:
        options.setdefault("locale", "zh-CN")  # the shop's first language, unless told
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        if drop_view_beacon:
            context.route("**/rec/products/*/seen/", lambda route: route.fulfill(status=204))
        page = context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
        page.on(
            "response",
            lambda response: (
                browser_log.failed_responses.append(f"{response.status} {response.url}")
                if response.status >= 500
                else None
            ),
        )
        return page

    yield open_
    for context in contexts:
        # Closing a page fires pagehide, and the tracker's last beacon would reach the live
        # server while the test database is being flushed (a deadlock on PostgreSQL): refuse
        # it in the browser, then let any request already in flight finish.
        context.route("**/api/v1/events*", lambda route: route.abort())
        context.close()
    if contexts:
        time.sleep(0.3)


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    """A desktop-sized page."""
    return open_page(**DESKTOP)


@pytest.fixture
def phone_page(open_page: Callable[..., Page]) -> Page:
    """A 390×844 touch screen, the size of a common phone."""
    return open_page(**PHONE)


class Screenshot(Protocol):
    def __call__(self, page: Page, name: str, *, full_page: bool = True) -> Path: ...


@pytest.fixture
def screenshot() -> Screenshot:
    """screenshot(page, "profile-mobile") → var/screenshots/profile-mobile.png.

    A full-page shot draws fixed elements (the phone tab bar) where the first screen ends;
    full_page=False shows exactly what the screen shows.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def sign_in(page: Page, email: str) -> None:
    """Sign in through the login page (Chinese is the default language)."""
    from tests.accounts.factories import PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_test_id("login-form").get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("nav-profile")).to_be_visible()
