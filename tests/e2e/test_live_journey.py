"""The live-room journey with two browsers: the host on a laptop runs the console, a viewer on a
phone watches. The host starts the room and pins a product; the viewer sees the card arrive,
chats (a banned word arrives masked, on both screens), claims the live coupon the host drops and
buys in the room through the sheet; the host's statistics show the order.

The pages, the websocket and the payment gateway's webhook are all served by one uvicorn server
running the project's ASGI application (HTTP through Django, websockets through Channels) in a
thread of the test process: with the in-memory channel layer, a frame that an HTTP request
publishes (a pin, a coupon drop, an order) reaches the sockets only inside one process.
PostgreSQL only: uvicorn's worker threads and the test share the database, and SQLite's shared
in-memory test database answers "table is locked" to concurrent writers.
Screenshots: var/screenshots/live-host-*.png and live-journey-*.png."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from circlemart.core.events import relay_pending
from circlemart.live.models import Room, RoomCoupon, RoomMute, RoomOrder, RoomState
from circlemart.moderation import services as moderation_services
from circlemart.orders.models import Order
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in
from tests.live.factories import RoomFactory, creator, product
from tests.orders.conftest import make_buyer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LAPTOP = {"viewport": {"width": 1366, "height": 900}}
BANNED = "代购微信"  # configured as a masked word below


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def asgi_server(transactional_db: None, settings: Any) -> Iterator[str]:
    """The whole site (pages, static files, websockets) on one uvicorn server; its base URL."""
    import uvicorn
    from channels.routing import ProtocolTypeRouter
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.asgi import get_asgi_application

    from circlemart.live.realtime.routing import websocket_application

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings.LIVE_WEBSOCKET_URL = ""  # same origin as the page
    settings.SITE_URL = url
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "in_process"
    settings.PAYMENTS_TEST_MODE = True
    application = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(get_asgi_application()),
            "websocket": websocket_application(),
        }
    )
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        ws="websockets-sansio",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    started = threading.Event()
    original_startup = server.startup

    async def startup(*args: Any, **kwargs: Any) -> None:
        await original_startup(*args, **kwargs)
        started.set()

    server.startup = startup  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, name="live-asgi", daemon=True)
    thread.start()
    assert started.wait(30), "the ASGI server did not start"
    yield url
    server.should_exit = True
    thread.join(30)


@pytest.fixture
def open_at(
    browser: Browser, asgi_server: str, browser_log: BrowserLog
) -> Iterator[Callable[..., Page]]:
    """open_at(**PHONE) → a page in a fresh browser context on the ASGI server."""
    contexts: list[BrowserContext] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            browser_log.console_errors.append(message.text)

    def open_(**options: Any) -> Page:
        options.setdefault("locale", "zh-CN")
        context = browser.new_context(base_url=asgi_server, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
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
        context.route("**/api/v1/events*", lambda route: route.abort())
        context.close()


def test_host_and_viewer_live_journey(
    open_at: Callable[..., Page], screenshot: Screenshot, browser_log: BrowserLog
) -> None:
    moderation_services.word_upsert(word=BANNED, category="spam", action="mask")
    host = creator(nickname="主播小美")
    jacket = product(title="轻薄羽绒服", title_en="Light down jacket", prices=(29900,), stock=(20,))
    scarf = product(title="羊绒围巾", title_en="Cashmere scarf", prices=(9900,), stock=(20,))
    room = RoomFactory(
        host=host, title="冬季新品直播", video_url="", description="今晚八点，羽绒服专场"
    )
    for position, item in enumerate((jacket, scarf)):
        room.products.create(product_id=item.pk, position=position)
    buyer, _address_id = make_buyer()

    # The host, on a laptop, opens the console and goes live.
    console = open_at(**LAPTOP)
    sign_in(console, host.email)
    console.goto(f"/live/{room.pk}/host/")
    console.get_by_test_id("tracking-decline").click()  # the consent banner, answered once
    expect(console.get_by_test_id("chat-status")).to_have_attribute("data-state", "open")
    console.get_by_test_id("state-start").click()
    expect(console.locator("#panel-state .live-state-live")).to_be_visible()
    assert Room.objects.get(pk=room.pk).state == RoomState.LIVE

    # The viewer, on a phone, comes in; the host's console counts them.
    viewer = open_at(**PHONE)
    sign_in(viewer, buyer.email)
    viewer.goto(f"/live/{room.pk}/")
    viewer.get_by_test_id("tracking-decline").click()
    expect(viewer.get_by_test_id("live-room")).to_be_visible()
    expect(console.locator("[data-live-viewers-chat]")).to_have_text("2")

    # "Now explaining": the pinned card reaches the phone over the websocket.
    expect(viewer.get_by_test_id("live-pinned")).to_have_count(0)
    console.get_by_test_id("console-product").nth(0).get_by_test_id("pin-toggle").click()
    expect(
        console.get_by_test_id("console-product").nth(0).get_by_test_id("pin-toggle")
    ).to_have_attribute("aria-pressed", "true")
    expect(viewer.get_by_test_id("live-pinned")).to_contain_text("轻薄羽绒服")

    # The viewer chats; the banned word is masked for everyone.
    viewer.get_by_test_id("live-chat-input").fill(f"有{BANNED}吗？好看")
    viewer.get_by_test_id("live-chat-input").press("Enter")
    expect(viewer.get_by_test_id("live-chat")).to_contain_text("好看")
    expect(viewer.get_by_test_id("live-chat")).not_to_contain_text(BANNED)
    host_line = console.get_by_test_id("chat-line").filter(has_text="好看")
    expect(host_line).to_have_count(1)
    expect(host_line).not_to_contain_text(BANNED)
    expect(host_line).to_contain_text("*")
    screenshot(viewer, "live-journey-viewer-chat-phone", full_page=False)

    # The host drops a live coupon; the viewer claims it.
    coupons = console.get_by_test_id("panel-coupons")
    form = coupons.get_by_test_id("coupon-form")
    form.locator("[name=name]").fill("直播专享券")
    form.locator("[name=amount]").fill("20")
    form.locator("[name=min_spend]").fill("199")
    form.locator("[name=quantity]").fill("5")
    form.get_by_test_id("coupon-create").click()
    expect(coupons.get_by_test_id("console-coupon")).to_have_count(1)
    expect(coupons.get_by_test_id("coupon-dropped")).to_be_visible()
    assert RoomCoupon.objects.get(room=room).dropped_at is not None
    expect(viewer.get_by_test_id("live-coupon")).to_be_visible()
    screenshot(viewer, "live-journey-viewer-coupon-phone", full_page=False)
    viewer.get_by_test_id("live-claim").click()
    expect(viewer.get_by_test_id("live-claim-result")).to_be_visible()
    screenshot(console, "live-journey-host-desktop", full_page=False)

    # The viewer buys the pinned jacket without leaving the room.
    viewer.get_by_test_id("live-pinned").click()
    sheet = viewer.get_by_test_id("live-sheet")
    expect(sheet.get_by_test_id("live-sheet-form")).to_be_visible()
    expect(sheet.get_by_test_id("live-pay")).to_be_enabled()
    screenshot(viewer, "live-journey-viewer-sheet-phone", full_page=False)
    sheet.get_by_test_id("live-pay").click()
    # The test gateway's page stands in for the provider's; it sends the buyer back to the room,
    # which reopens the sheet on the order.
    viewer.get_by_role("button", name="支付", exact=True).click()
    expect(viewer).to_have_url(re.compile(rf"/live/{room.pk}/"))
    expect(viewer.get_by_test_id("live-paid")).to_be_visible(timeout=30_000)
    expect(viewer.get_by_test_id("live-paid")).to_be_in_viewport(ratio=1)
    # The sheet slides up: photograph it once its transitions have finished.
    viewer.wait_for_function(
        "() => document.getAnimations().every(animation => animation.playState !== 'running')"
    )
    order = Order.objects.get(buyer_id=buyer.pk)
    assert order.attribution.get("source") == f"live:{room.pk}"
    screenshot(viewer, "live-journey-viewer-paid-phone", full_page=False)

    # OrderPaid reaches the live app (outbox), and the host's numbers show the order.
    relay_pending()
    assert RoomOrder.objects.filter(room=room, order_number=order.number).count() == 1
    stats = console.get_by_test_id("panel-stats")
    expect(stats.get_by_test_id("stat-orders")).to_have_text("1", timeout=20_000)
    expect(stats.get_by_test_id("stat-claims")).to_have_text("1")
    expect(coupons.get_by_test_id("coupon-remaining")).to_contain_text("4")
    screenshot(console, "live-journey-host-stats-desktop", full_page=False)

    # Moderation from the console: mute the viewer with a reason, then delete the message.
    host_line.click()
    moderate = console.get_by_test_id("moderate-panel")
    expect(moderate).to_be_visible()
    moderate.get_by_test_id("moderate-reason").fill("请勿发广告")
    moderate.get_by_test_id("moderate-mute").click()
    expect(moderate).to_be_hidden()
    expect(console.locator(".console-line-mute")).to_have_count(1)
    mute = RoomMute.objects.get(room=room, user=buyer)
    assert mute.reason == "请勿发广告"
    assert mute.muted_by_id == host.pk
    line = console.locator(
        f'[data-testid="chat-line"][data-seq="{host_line.get_attribute("data-seq")}"]'
    )
    line.click()
    moderate.get_by_test_id("moderate-delete").click()
    expect(line).to_have_class(re.compile(r"\bdeleted\b"))
    expect(viewer.get_by_test_id("live-chat")).not_to_contain_text("好看")

    assert browser_log.csp_violations() == []
    assert browser_log.page_errors == []
    assert browser_log.failed_responses == []


@pytest.mark.parametrize(("size", "options"), [("phone", PHONE), ("desktop", LAPTOP)])
def test_host_pages_screens(
    open_at: Callable[..., Page],
    screenshot: Screenshot,
    browser_log: BrowserLog,
    size: str,
    options: dict[str, Any],
) -> None:
    """The schedule form, the host's rooms and the console, for a person to look at."""
    host = creator(nickname="主播小美")
    jacket = product(title="轻薄羽绒服", prices=(29900,), stock=(20,))
    room = RoomFactory(host=host, title="冬季新品直播", live=True)
    room.products.create(product_id=jacket.pk, position=0)
    RoomFactory(host=host, title="周末穿搭分享")
    page = open_at(**options)
    sign_in(page, host.email)

    page.goto("/live/new/")
    page.get_by_test_id("tracking-decline").click()  # the consent banner, answered once
    expect(page.get_by_test_id("room-form")).to_be_visible()
    page.get_by_test_id("picker-search").fill("羽绒")
    page.get_by_test_id("picker-option").first.click()
    expect(page.get_by_test_id("picked-product")).to_have_count(1)
    screenshot(page, f"live-host-new-{size}")
    page.get_by_test_id("room-create").click()  # no title: the form says so
    expect(page.locator('[data-field="title"]')).to_be_visible()
    expect(page.get_by_test_id("picked-product")).to_have_count(1)  # the pick is kept

    page.goto("/live/mine/")
    expect(page.get_by_test_id("my-room")).to_have_count(2)
    screenshot(page, f"live-host-mine-{size}")

    page.goto(f"/live/{room.pk}/host/")
    expect(page.get_by_test_id("chat-status")).to_have_attribute("data-state", "open")
    screenshot(page, f"live-host-console-{size}", full_page=size == "phone")
    assert browser_log.csp_violations() == []
    assert browser_log.page_errors == []
