"""Buying pages: the product page's buy bar, the order page while a payment is being confirmed
(never a pay button then), and the address book sending the buyer back to checkout."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.test import Client

from circlemart.core.events import relay_pending
from circlemart.orders import services
from circlemart.orders.models import Order
from circlemart.payments import services as payment_services
from circlemart.payments.models import Payment
from tests.catalog import factories as catalog_factories
from tests.orders.conftest import make_buyer, make_sku, place, token_of
from tests.orders.test_pages import _browser

pytestmark = pytest.mark.django_db

PAY_BUTTON = 'data-testid="pay"'


def test_the_product_page_has_one_buy_bar_in_place_of_the_tab_bar() -> None:
    product = catalog_factories.product(prices=(1900, 2900), stock=(3, 0))
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/p/{product.pk}/").content.decode()
    assert html.count('data-testid="buy-bar"') == 1
    for test_id in ("buy-bar-cart", "add-to-cart", "buy-now", "buy-hint"):
        assert html.count(f'data-testid="{test_id}"') == 1, test_id
    assert 'hx-get="/cart/badge/" hx-trigger="load, cart-changed from:body"' in html
    assert 'id="buy-bar-group"' in html  # the promotions block fills it when a group deal runs
    assert 'class="tabbar"' not in html
    assert "storefront/buy.css" in html
    # Buy now goes to checkout with the chosen SKU and quantity.
    assert '<form method="get" action="/orders/checkout/" id="buy-form"' in html


def test_adding_to_the_cart_tells_the_buy_bar_to_recount() -> None:
    added = Client().post(
        "/cart/add/", {"sku_id": make_sku(stock=5), "quantity": 1}, HTTP_HX_REQUEST="true"
    )
    assert added.status_code == 200
    assert added["HX-Trigger"] == "cart-changed"


def _start_paying(browser: Client, order: Order) -> Payment:
    to_gateway = browser.post(f"/orders/{order.number}/pay/")
    assert to_gateway.status_code == 302
    return Payment.objects.get(order_number=order.number)


def test_going_off_to_pay_is_remembered_for_the_order_page() -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    browser = _browser(buyer)
    payment = _start_paying(browser, order)
    assert payment.return_url == f"/orders/{order.number}/"  # the provider's way back is as before
    assert browser.session["orders.paying"] == {order.number: True}


def test_a_captured_payment_not_yet_applied_shows_processing_then_paid() -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    browser = _browser(buyer)
    payment = _start_paying(browser, order)
    from circlemart.payments import gateway

    gateway.charge_complete(token=token_of(payment.redirect_url), pay=True)
    # The buyer is back: the provider says paid; the order hears of it through the outbox.
    payment_services.payment_confirm_from_provider(payment_id=payment.pk)
    order.refresh_from_db()
    assert order.status == "pending_payment"

    page = browser.get(f"/orders/{order.number}/").content.decode()
    assert 'data-payment="processing"' in page
    assert 'data-testid="status-name">Payment processing…<' in page
    assert PAY_BUTTON not in page
    assert 'hx-get="?part=status&amp;polls=1" hx-trigger="every 2s"' in page

    relay_pending()
    order.refresh_from_db()
    assert order.status == "paid"
    poll = browser.get(f"/orders/{order.number}/?part=status", HTTP_HX_REQUEST="true")
    fragment = poll.content.decode()
    assert 'data-status="paid"' in fragment
    assert re.search(r'data-testid="status-name">\s*Paid\s*<', fragment)
    assert "every 2s" not in fragment  # paid: the polling stops
    assert PAY_BUTTON not in fragment


def test_back_from_paying_with_the_provider_silent_waits_then_offers_to_pay_again() -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    # Placed elsewhere (another device): this browser never went to pay, so it offers to pay.
    assert PAY_BUTTON in _browser(buyer).get(f"/orders/{order.number}/").content.decode()
    browser = _browser(buyer)
    _start_paying(browser, order)  # submitted: the provider has not confirmed anything yet

    back = browser.get(f"/orders/{order.number}/").content.decode()
    assert 'data-payment="processing"' in back
    assert PAY_BUTTON not in back
    assert 'hx-get="?part=status&amp;polls=1"' in back
    poll = browser.get(
        f"/orders/{order.number}/?part=status&polls=5", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-payment="processing"' in poll
    assert "polls=6" in poll
    # Half a minute on, the buyer probably came back without paying: the pay button returns,
    # and stays on a reload.
    late = browser.get(
        f"/orders/{order.number}/?part=status&polls=15", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert PAY_BUTTON in late
    assert "processing" not in late
    assert PAY_BUTTON in browser.get(f"/orders/{order.number}/").content.decode()


def test_a_failed_payment_offers_to_pay_again_at_once() -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    browser = _browser(buyer)
    payment = _start_paying(browser, order)
    from circlemart.payments import gateway

    gateway.charge_complete(token=token_of(payment.redirect_url), pay=False)
    payment_services.payment_confirm_from_provider(payment_id=payment.pk)
    page = browser.get(f"/orders/{order.number}/").content.decode()
    assert PAY_BUTTON in page
    assert 'data-payment="processing"' not in page


def test_adding_an_address_from_buy_now_checkout_returns_there_with_it_chosen() -> None:
    buyer, first_address = make_buyer()
    sku = make_sku()
    browser = _browser(buyer)
    checkout = browser.get(f"/orders/checkout/?sku_id={sku}&quantity=2").content.decode()
    back = f"/orders/checkout/?sku_id={sku}&quantity=2"
    link = f"/accounts/addresses/?next={quote(back, safe='')}"
    assert f'href="{link.replace("&", "&amp;")}"' in checkout

    book = browser.get(link).content.decode()
    assert 'data-testid="choose-for-checkout"' in book
    assert (
        f'href="/orders/checkout/?sku_id={sku}&amp;quantity=2&amp;address_id={first_address}"'
        in book
    )
    added = browser.post(
        link,
        {
            "next": back,
            "recipient": "李四",
            "phone": "13900139000",
            "province": "北京",
            "city": "北京市",
            "district": "朝阳区",
            "detail": "建国路 2 号",
        },
    )
    assert added.status_code == 302
    new_id = buyer.addresses.exclude(pk=first_address).get().pk
    assert added["Location"] == f"/orders/checkout/?sku_id={sku}&quantity=2&address_id={new_id}"
    page = browser.get(added["Location"]).content.decode()
    assert f'value="{new_id}" checked' in page
    assert f'value="{first_address}" checked' not in page
    assert f'name="sku_id" value="{sku}"' in page


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_the_address_book_never_sends_the_buyer_off_site(target: str) -> None:
    buyer, _address = make_buyer()
    browser = _browser(buyer)
    book = browser.get(f"/accounts/addresses/?next={quote(target, safe='')}").content.decode()
    assert 'data-testid="choose-for-checkout"' not in book
    assert 'data-testid="use-address"' not in book
    assert '<input type="hidden" name="next"' not in book.split('data-testid="address-form"')[1]
    added = browser.post(
        "/accounts/addresses/",
        {
            "next": target,
            "recipient": "李四",
            "phone": "13900139000",
            "province": "北京",
            "city": "北京市",
            "detail": "建国路 2 号",
        },
    )
    assert added["Location"] == "/accounts/addresses/"


def test_unpaid_polling_is_kept_for_orders_awaiting_payment_only() -> None:
    buyer, address = make_buyer()
    order = place(buyer, address, make_sku())
    services.order_cancel(actor_id=buyer.pk, number=order.number)
    page = _browser(buyer).get(f"/orders/{order.number}/").content.decode()
    assert "every 2s" not in page
    assert PAY_BUTTON not in page
