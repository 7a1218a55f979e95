"""Points pages through the Django client: the points page (balance, pending, expiring soon,
history with order links, more with htmx, empty state) and points at checkout."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from circlemart.core import clock
from circlemart.growth.points import selectors
from circlemart.growth.points.models import PointsEarnRule
from circlemart.orders.models import Order
from tests.accounts.factories import UserFactory
from tests.growth.points.conftest import give
from tests.orders.conftest import make_buyer, make_sku, place

pytestmark = pytest.mark.django_db


def _browser(user: object | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def _testid(html: str, name: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", match).strip()
        for match in re.findall(rf'data-testid="{name}"[^>]*>(.*?)<', html, re.S)
    ]


def test_the_points_page_needs_sign_in() -> None:
    answer = _browser().get("/growth/points/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")


def test_an_empty_points_page_says_how_to_earn() -> None:
    html = _browser(UserFactory()).get("/growth/points/").content.decode()
    assert _testid(html, "points-balance") == ["0"]
    assert _testid(html, "no-points") == [
        "No points yet. Buy, review with photos or check in daily to earn some."
    ]
    assert 'data-testid="points-expiry-note"' not in html


def test_the_points_page_shows_balance_pending_expiring_and_history(
    pay: Callable[..., Order],
) -> None:
    PointsEarnRule.objects.create(code="order_paid_per_yuan", points=1)
    buyer, address = make_buyer()
    soon = clock.now() + timedelta(days=4)
    give(buyer.pk, 2000, "soon", expires_at=soon)
    order = pay(place(buyer, address, make_sku(price=5000), options={"points": 500}))
    html = _browser(buyer).get("/growth/points/").content.decode()
    assert _testid(html, "points-balance") == ["1500"]
    assert _testid(html, "points-pending") == ["45"]  # ¥45.00 paid for goods, 1 per yuan
    assert _testid(html, "points-expiring") == ["1500"]
    note = _testid(html, "points-expiry-note")[0]
    assert note == f"1500 points expire from {timezone.localdate(soon):%Y-%m-%d}: use them first."
    assert _testid(html, "points-entry-amount") == ["-500", "+2000"]
    assert _testid(html, "points-entry-order") == [order.number]
    assert f'href="/orders/{order.number}/"' in html
    assert "Used at checkout" in html
    assert "Campaign reward" in html


def test_more_history_comes_with_htmx_and_a_forged_cursor_starts_over() -> None:
    user = UserFactory()
    for index in range(23):
        give(user.pk, index + 1, f"k{index}")
    browser = _browser(user)
    html = browser.get("/growth/points/").content.decode()
    assert len(_testid(html, "points-entry-amount")) == 20
    cursor = re.search(r'hx-get="\?cursor=([^"]+)"', html)
    assert cursor is not None
    more = browser.get(f"/growth/points/?cursor={cursor.group(1)}", HTTP_HX_REQUEST="true")
    assert _testid(more.content.decode(), "points-entry-amount") == ["+3", "+2", "+1"]
    forged = browser.get("/growth/points/?cursor=forged")
    assert forged.status_code == 200
    assert len(_testid(forged.content.decode(), "points-entry-amount")) == 20


def test_checkout_offers_the_points_the_order_can_use_and_the_box_uses_them() -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=5000)
    give(buyer.pk, 3000, "k")
    browser = _browser(buyer)
    page = browser.get(f"/orders/checkout/?sku_id={sku}&quantity=1")
    html = page.content.decode()
    assert _testid(html, "points-available") == ["You have 3000 points."]
    assert "Use 2500 points for −CN¥25.00" in html
    assert 'data-testid="use-points"' in html
    assert "checked" not in html.split("use-points")[1][:5]
    token = html.split('name="checkout_token" value="')[1].split('"')[0]
    form = {"sku_id": sku, "quantity": 1, "address_id": address, "checkout_token": token}
    requote = browser.get("/orders/checkout/", {**form, "use_points": "1"}).content.decode()
    assert "Points: 2,500 used" in requote
    assert 'name="expected_total" value="3300"' in requote
    placed = browser.post(
        "/orders/checkout/", {**form, "use_points": "1", "expected_total": "3300"}
    )
    assert placed.status_code == 302
    order = Order.objects.get()
    assert order.total == 3300
    assert selectors.points_balance(buyer.pk) == 500
    detail = browser.get(f"/orders/{order.number}/").content.decode()
    assert "Points: 2,500 used" in detail


def test_checkout_says_when_no_points_can_be_used() -> None:
    buyer, _address = make_buyer()
    sku = make_sku(price=5000)
    html = _browser(buyer).get(f"/orders/checkout/?sku_id={sku}&quantity=1").content.decode()
    assert _testid(html, "points-available") == [
        "You have 0 points. None can be used on this order."
    ]
    assert 'data-testid="use-points"' not in html
