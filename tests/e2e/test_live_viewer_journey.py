"""A shopper's live-room smoke journey in one browser: the room list → a live room → chat →
the message comes back over the websocket; the product sheet opens over the player; the
replay plays its chat in time. Pages and websocket are served by the ASGI server fixture of
tests/e2e/test_live_journey.py (one uvicorn in a thread). Screenshots: var/screenshots/
live-shop-*.png at 390x844 and 1366x900."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from circlemart.core import clock
from circlemart.live.demo_video import demo_video_url, ensure_demo_video
from circlemart.live.models import RoomMessage
from circlemart.orders.models import Order
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in
from tests.e2e.test_live_journey import asgi_server, open_at  # noqa: F401 (fixtures)
from tests.live.factories import RoomFactory, RoomMessageFactory, creator, product
from tests.orders.conftest import make_buyer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"viewport": {"width": 1366, "height": 900}}


def test_viewer_finds_a_room_chats_and_opens_the_sheet(
    open_at: Callable[..., Page],  # noqa: F811
    screenshot: Screenshot,
    browser_log: BrowserLog,
) -> None:
    ensure_demo_video()
    host = creator(nickname="主播小美")
    jacket = product(title="轻薄羽绒服", title_en="Light down jacket", prices=(29900,), stock=(20,))
    scarf = product(title="羊绒围巾", title_en="Cashmere scarf", prices=(9900,), stock=(20,))
    room = RoomFactory(
        host=host,
        live=True,
        title="冬季新品直播",
        video_url=demo_video_url(),
        pinned_product_id=jacket.pk,
    )
    for position, item in enumerate((jacket, scarf)):
        room.products.create(product_id=item.pk, position=position)
    RoomFactory(host=host, title="明晚护肤专场", scheduled_start=clock.now() + timedelta(hours=3))
    over = RoomFactory(
        host=host,
        replay=True,
        title="上周羽绒服专场",
        video_url=demo_video_url(),
        replay_url=demo_video_url(),
    )
    RoomMessageFactory(
        room=over,
        payload={"user": {"id": host.pk, "name": "主播小美", "avatar_url": ""}, "text": "欢迎！"},
    )
    RoomMessage.objects.filter(room=over).update(created_at=over.started_at + timedelta(seconds=1))
    buyer, _address_id = make_buyer()

    phone = open_at(**PHONE)
    sign_in(phone, buyer.email)
    phone.goto("/")
    expect(phone.get_by_test_id("activity-live")).to_be_visible()
    expect(phone.get_by_test_id("live-strip")).to_contain_text("冬季新品直播")
    phone.get_by_test_id("activity-live").click()
    expect(phone.get_by_test_id("live-rooms-live")).to_contain_text("冬季新品直播")
    screenshot(phone, "live-shop-list-phone", full_page=False)

    phone.get_by_test_id("live-card").filter(has_text="冬季新品直播").click()
    stage = phone.get_by_test_id("live-room")
    expect(stage).to_have_attribute("data-connection", "open")
    expect(phone.get_by_test_id("live-pinned")).to_contain_text("轻薄羽绒服")

    phone.get_by_test_id("live-chat-input").fill("这件有黑色吗？")
    phone.get_by_test_id("live-chat-send").click()
    mine = phone.get_by_test_id("live-chat-message").filter(has_text="这件有黑色吗？")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(buyer.nickname)
    assert RoomMessage.objects.filter(room=room, kind="chat").count() == 1

    phone.get_by_test_id("live-like").click()
    phone.get_by_test_id("live-like").click()
    expect(phone.get_by_test_id("live-like-count")).to_have_text("2")
    screenshot(phone, "live-shop-room-phone", full_page=False)

    phone.get_by_test_id("live-pinned").click()
    sheet = phone.get_by_test_id("live-sheet")
    expect(sheet.get_by_test_id("live-sheet-form")).to_be_visible()
    expect(sheet.get_by_test_id("live-pay")).to_be_enabled()
    screenshot(phone, "live-shop-sheet-phone", full_page=False)
    # Pay: the test gateway's page, then straight back into the room, which shows "paid".
    sheet.get_by_test_id("live-pay").click()
    phone.get_by_test_id("pay").click()
    expect(phone).to_have_url(re.compile(rf"/live/{room.pk}/"))
    expect(phone.get_by_test_id("live-paid")).to_be_visible(timeout=30_000)
    order = Order.objects.get(buyer_id=buyer.pk)
    assert order.attribution == {"source": f"live:{room.pk}"}
    screenshot(phone, "live-shop-paid-phone", full_page=False)
    sheet.locator("[data-close-sheet]").first.click()
    expect(sheet).to_be_hidden()

    phone.get_by_test_id("live-products-button").click()
    expect(phone.get_by_test_id("live-product").nth(1)).to_be_in_viewport(ratio=1)
    screenshot(phone, "live-shop-products-phone", full_page=False)

    # The same room on a laptop: player in the middle, products and chat beside it.
    laptop = open_at(**LAPTOP)
    laptop.goto(f"/live/{room.pk}/")
    expect(laptop.get_by_test_id("live-room")).to_have_attribute("data-connection", "open")
    expect(laptop.get_by_test_id("live-chat-message")).to_have_count(1)  # caught up from the log
    expect(laptop.get_by_test_id("live-sign-in")).to_be_visible()
    screenshot(laptop, "live-shop-room-desktop", full_page=False)
    laptop.goto("/live/?tab=upcoming")
    expect(laptop.get_by_test_id("live-card")).to_contain_text("明晚护肤专场")
    screenshot(laptop, "live-shop-list-desktop", full_page=False)
    laptop.get_by_test_id("live-card").click()
    expect(laptop.get_by_test_id("live-countdown")).to_be_visible()
    screenshot(laptop, "live-shop-scheduled-desktop", full_page=False)

    phone.goto(f"/live/{over.pk}/replay/")
    # The message said one second into the live shows once the video reaches it.
    expect(phone.get_by_test_id("live-replay-message")).to_be_visible()
    expect(phone.get_by_test_id("live-replay-message")).to_contain_text("欢迎！")
    screenshot(phone, "live-shop-replay-phone", full_page=True)

    assert browser_log.page_errors == []
    assert browser_log.csp_violations() == []


# ---- live.js, the websocket client, against a scripted fake WebSocket ----

LIVE_JS = Path(__file__).resolve().parents[2] / "src/circlemart/live/static/live/live.js"
FAKE_WEBSOCKET = """
window.sockets = [];
window.FakeSocket = function (url, protocols) {
  this.url = url; this.protocols = protocols; this.readyState = 0; this.sent = [];
  window.sockets.push(this);
  var socket = this;
  setTimeout(function () { socket.readyState = 1; socket.onopen && socket.onopen({}); }, 0);
};
FakeSocket.prototype.send = function (text) { this.sent.push(JSON.parse(text)); };
FakeSocket.prototype.close = function (code) {
  this.readyState = 3;
  var socket = this;
  setTimeout(function () { socket.onclose && socket.onclose({code: code || 1000}); }, 0);
};
FakeSocket.prototype.deliver = function (frame) { this.onmessage({data: JSON.stringify(frame)}); };
window.WebSocket = FakeSocket;
window.applied = []; window.states = [];
"""


def test_the_client_drops_duplicates_and_reconnects_with_its_last_seq(
    browser: Browser,
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!doctype html><title>live.js</title>")
    page.add_script_tag(content=FAKE_WEBSOCKET)
    page.add_script_tag(content=LIVE_JS.read_text())
    page.evaluate(
        """() => { window.client = CirclemartLive.connect("/ws/live/7/", {
             onFrame: (f) => applied.push(f.type + ":" + (f.seq || "")),
             onState: (s, d) => states.push(s + (d.code ? ":" + d.code : "")) }); }"""
    )
    page.wait_for_function("sockets.length === 1 && sockets[0].readyState === 1")
    first = page.evaluate("sockets[0].url")
    assert first.startswith("ws://")
    assert first.endswith("/ws/live/7/")  # new: no last_seq
    assert page.evaluate("sockets[0].protocols") == ["live.v1"]
    page.evaluate(
        """() => { const s = sockets[0];
             s.deliver({type: "welcome", data: {last_seq: 4}});
             s.deliver({type: "chat", seq: 4, data: {}});   // not newer than welcome: dropped
             s.deliver({type: "chat", seq: 5, data: {}});
             s.deliver({type: "chat", seq: 5, data: {}});   // duplicate: dropped
             s.deliver({type: "presence", data: {viewers: 3}});
             s.deliver({type: "likes", seq: 6, data: {}}); }"""
    )
    assert page.evaluate("applied") == ["welcome:", "chat:5", "presence:", "likes:6"]
    assert page.evaluate("client.send({type: 'chat', text: 'hi'})") is True
    assert page.evaluate("sockets[0].sent") == [{"type": "chat", "text": "hi"}]

    # A gap (8 after 6): the client closes and comes back asking for what follows 6.
    page.evaluate("sockets[0].deliver({type: 'chat', seq: 8, data: {}})")
    page.wait_for_function("sockets.length === 2 && sockets[1].readyState === 1")
    assert page.evaluate("sockets[1].url").endswith("/ws/live/7/?last_seq=6")
    assert "chat:8" not in page.evaluate("applied")

    # The server goes away (1012): reconnect with the last applied seq, after a back-off.
    page.evaluate("sockets[1].deliver({type: 'chat', seq: 7, data: {}}); sockets[1].close(1012)")
    page.wait_for_function("sockets.length === 3")
    assert page.evaluate("sockets[2].url").endswith("/ws/live/7/?last_seq=7")
    assert "reconnecting" in page.evaluate("states")

    # Kicked (4403): the client stops.
    page.wait_for_function("sockets[2].readyState === 1")
    page.evaluate("sockets[2].close(4403)")
    page.wait_for_function("states[states.length - 1] === 'closed:4403'")
    assert page.evaluate("sockets.length") == 3  # closed for good: nothing was scheduled
    context.close()


def test_a_page_that_shows_history_starts_from_its_seq(browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!doctype html><title>live.js</title>")
    page.add_script_tag(content=FAKE_WEBSOCKET)
    page.add_script_tag(content=LIVE_JS.read_text())
    page.evaluate(
        """() => { CirclemartLive.connect("ws://127.0.0.1:8001/ws/live/7/", {lastSeq: 0,
             onFrame: (f) => applied.push(f.type + ":" + (f.seq || "")) }); }"""
    )
    page.wait_for_function("sockets.length === 1")
    assert page.evaluate("sockets[0].url") == "ws://127.0.0.1:8001/ws/live/7/?last_seq=0"
    page.evaluate(
        """() => { const s = sockets[0];
             s.deliver({type: "welcome", data: {last_seq: 2}});
             s.deliver({type: "chat", seq: 1, data: {}});
             s.deliver({type: "chat", seq: 2, data: {}}); }"""
    )
    assert page.evaluate("applied") == ["welcome:", "chat:1", "chat:2"]
    context.close()
