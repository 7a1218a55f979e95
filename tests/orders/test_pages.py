"""Shopper pages: product → cart → checkout → gateway → order page; errors as form messages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from circlemart.orders.models import Order
from circlemart.payments import gateway
from tests.orders.conftest import make_buyer, make_sku, place

pytestmark = pytest.mark.django_db


def _browser(user: object | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def test_add_to_cart_from_the_product_page_with_htmx() -> None:
    sku = make_sku(price=1200, stock=3)
    browser = _browser()
    added = browser.post("/cart/add/", {"sku_id": sku, "quantity": 2}, HTTP_HX_REQUEST="true")
    assert added.status_code == 200
    assert "View cart (2)" in added.content.decode()
    too_many = browser.post("/cart/add/", {"sku_id": sku, "quantity": 2}, HTTP_HX_REQUEST="true")
    assert too_many.status_code == 409
    assert "Only 3 left in stock." in too_many.content.decode()
    page = browser.get("/cart/").content.decode()
    assert 'data-testid="cart-line"' in page
    assert 'data-testid="cart-subtotal">CN¥24.00<' in page


def test_checkout_page_quotes_and_placing_goes_to_the_gateway() -> None:
    buyer, _address = make_buyer()
    sku = make_sku(price=1000)
    browser = _browser(buyer)
    browser.post("/cart/add/", {"sku_id": sku, "quantity": 1})
    page = browser.get("/orders/checkout/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="expected_total" value="1800"' in html
    token = html.split('name="checkout_token" value="')[1].split('"')[0]
    address_id = html.split('name="address_id" value="')[1].split('"')[0]
    form = {"checkout_token": token, "address_id": address_id, "shipping_method": "standard"}
    placed = browser.post("/orders/checkout/", {**form, "expected_total": "1800"})
    assert placed.status_code == 302
    assert "/payments/test-gateway/pay/" in placed["Location"]
    again = browser.post("/orders/checkout/", {**form, "expected_total": "1800"})  # double click
    assert again.status_code == 302
    assert Order.objects.count() == 1


def test_a_changed_price_is_shown_on_the_checkout_page() -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=1000)
    browser = _browser(buyer)
    answer = browser.post(
        "/orders/checkout/",
        {"sku_id": sku, "quantity": 1, "address_id": address, "expected_total": "999"},
    )
    assert answer.status_code == 409
    assert "The price changed since you looked" in answer.content.decode()
    assert Order.objects.count() == 0


def test_buy_now_checkout_needs_sign_in() -> None:
    answer = _browser().get(f"/orders/checkout/?sku_id={make_sku()}&quantity=1")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")


def test_order_page_after_paying_shows_paid(
    pay: Callable[..., Order],
) -> None:
    buyer, address = make_buyer()
    order = pay(place(buyer, address, make_sku()))
    browser = _browser(buyer)
    html = browser.get(f"/orders/{order.number}/").content.decode()
    assert 'data-status="paid"' in html
    assert "Refund or return" in html
    listing = browser.get("/orders/").content.decode()
    assert order.number in listing


def test_someone_elses_order_page_is_404() -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    stranger, _ = make_buyer()
    browser = _browser(stranger)
    assert browser.get(f"/orders/{order.number}/").status_code == 404
    assert browser.get(f"/orders/{order.number}/after-sales/").status_code == 404
    browser.post(f"/orders/{order.number}/cancel/")
    order.refresh_from_db()
    assert order.status == "pending_payment"


def test_gateway_page_pays_and_returns_to_the_order(
    django_capture_on_commit_callbacks: Callable[..., object], drain: Callable[[], None]
) -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    browser = _browser(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        to_gateway = browser.post(f"/orders/{order.number}/pay/")
    pay_page = to_gateway["Location"].split("127.0.0.1:8000")[-1]
    assert browser.get(pay_page).status_code == 200
    token = pay_page.rstrip("/").rsplit("/", 1)[-1]
    with django_capture_on_commit_callbacks(execute=True):
        gateway.charge_complete(token=token, pay=True)
    drain()
    order.refresh_from_db()
    assert order.status == "paid"


def test_after_sales_form_shows_errors_next_to_fields(pay: Callable[..., Order]) -> None:
    buyer, address = make_buyer()
    order = pay(place(buyer, address, make_sku()))
    browser = _browser(buyer)
    answer = browser.post(
        f"/orders/{order.number}/after-sales/",
        {"kind": "refund_only", "reason": "other", "amount": "99999"},
    )
    assert answer.status_code == 400
    assert 'data-field="amount"' in answer.content.decode()
    sent = browser.post(
        f"/orders/{order.number}/after-sales/", {"kind": "refund_only", "reason": "changed_mind"}
    )
    assert sent.status_code == 302
    assert order.after_sales.get().status == "requested"


def test_pages_speak_chinese_by_default() -> None:
    buyer, _address = make_buyer()
    browser = Client()
    browser.force_login(buyer)
    sku = make_sku(price=1000)
    html = browser.get(f"/orders/checkout/?sku_id={sku}&quantity=1").content.decode()
    assert "确认订单" in html
    assert "提交订单并付款" in html
    refused = browser.post("/cart/add/", {"sku_id": sku, "quantity": 500}, HTTP_HX_REQUEST="true")
    assert "每单最多购买 99 件。" in refused.content.decode()
