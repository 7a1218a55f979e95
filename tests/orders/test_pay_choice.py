"""Paying an order from its page and the API (issue 11 items 2 and 8): the buyer picks a
provider, links follow the address the shop was reached by, and a payment that cannot start
says why instead of doing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from circlemart.payments.models import GatewayCharge, Payment
from tests.orders.conftest import make_buyer, make_sku, place
from tests.payments.memory_provider import BOOKS, QR, REDIRECT

pytestmark = pytest.mark.django_db


@pytest.fixture
def order_and_client() -> tuple[Any, Client]:
    buyer, address_id = make_buyer()
    order = place(buyer, address_id, make_sku())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(buyer)
    return order, client


def test_pay_on_another_port_uses_that_port_for_every_link(settings, order_and_client):
    settings.ALLOWED_HOSTS = ["shop.test"]
    order, client = order_and_client

    response = client.post(f"/orders/{order.number}/pay/", HTTP_HOST="shop.test:8123")

    charge = GatewayCharge.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/payments/test-gateway/pay/{charge.token}/"
    assert charge.return_url.startswith("http://shop.test:8123/payments/return/")


def test_a_payment_that_cannot_start_shows_the_buyer_why(settings, order_and_client):
    settings.PAYMENT_PROVIDERS = []
    order, client = order_and_client

    response = client.post(f"/orders/{order.number}/pay/", follow=True)

    page = response.content.decode()
    assert response.redirect_chain == [(f"/orders/{order.number}/", 302)]
    assert "Online payment is not available right now." in page
    assert 'data-testid="no-pay-methods"' in page
    assert Payment.objects.count() == 0


def test_the_order_page_offers_each_enabled_provider(settings, order_and_client):
    settings.PAYMENT_PROVIDERS = [QR, REDIRECT]
    BOOKS.clear()
    order, client = order_and_client

    page = client.get(f"/orders/{order.number}/").content.decode()
    chosen = client.post(f"/orders/{order.number}/pay/", {"provider": "memredirect"})

    assert 'data-testid="pay-method-memqr"' in page
    assert 'data-testid="pay-method-memredirect"' in page
    payment = Payment.objects.get()
    assert payment.provider == "memredirect"
    assert chosen["Location"].startswith(f"/payments/{payment.id}/leave/?sig=")


def test_api_pay_takes_the_provider_and_returns_the_qr_code(settings, order_and_client):
    settings.PAYMENT_PROVIDERS = [REDIRECT, QR]
    BOOKS.clear()
    order, client = order_and_client

    bad = client.post(
        f"/api/v1/orders/{order.number}/pay",
        data={"provider": "paypal"},
        content_type="application/json",
    )
    paid = client.post(
        f"/api/v1/orders/{order.number}/pay",
        data={"provider": "memqr"},
        content_type="application/json",
    )

    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "provider"
    body = paid.json()
    assert paid.status_code == 200
    assert body["provider"] == "memqr"
    assert body["qr_code"] == f"weixin://pay/memqr-{body['payment_id']}"
    assert body["redirect_url"] == ""
