"""Choosing how to pay in a real browser (issue 11 items 2 and 8): the order page offers every
enabled provider; a QR provider shows its code on the shop's page, which moves on by itself
once the provider's notification lands; an off-site provider is reached through the hand-off
page (a form may not redirect off the site under CSP form-action 'self')."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, Route, expect

from circlemart.orders.models import Order
from circlemart.payments.models import Payment
from circlemart.payments.providers.base import ProviderPaymentStatus
from tests.catalog import factories
from tests.e2e.conftest import DESKTOP, PHONE, BrowserLog, Screenshot, sign_in
from tests.orders.conftest import make_buyer, place
from tests.payments.memory_provider import BOOKS, QR, REDIRECT, SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def memory_providers(settings: Any, live_server: Any) -> None:
    settings.SITE_URL = live_server.url
    settings.PAYMENT_PROVIDERS = [QR, REDIRECT]
    BOOKS.clear()


def english(page: Page, live_server: Any) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def pending_order() -> tuple[Any, Order]:
    buyer, address_id = make_buyer()
    sku_id = factories.product(title="保温杯", title_en="Travel mug", prices=(8800,)).skus.get().pk
    return buyer, place(buyer, address_id, sku_id)


def provider_says_paid(payment: Payment) -> None:
    provider_id = payment.provider_payment_id
    BOOKS.statuses[provider_id] = ProviderPaymentStatus.SUCCEEDED
    body = {"id": f"evt-{provider_id}", "type": "payment.succeeded", "payment": provider_id}
    answer = Client().post(
        "/payments/webhooks/memqr/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-Memory-Secret": SECRET},
    )
    assert answer.status_code == 200


@pytest.mark.parametrize(("size", "language"), [(PHONE, "zh"), (DESKTOP, "en")])
def test_pay_by_qr_code_and_the_page_moves_on_once_paid(
    open_page: Callable[..., Page],
    memory_providers: None,
    live_server: Any,
    screenshot: Screenshot,
    browser_log: BrowserLog,
    size: dict[str, Any],
    language: str,
) -> None:
    buyer, order = pending_order()
    page = open_page(**size)
    sign_in(page, buyer.email)
    if language == "en":
        english(page, live_server)
    label = "phone" if size is PHONE else "desktop"

    page.goto(f"/orders/{order.number}/")
    expect(page.get_by_test_id("pay-methods")).to_be_visible()
    screenshot(page, f"pay-1-methods-{label}-{language}")
    page.get_by_test_id("pay-method-memqr").check()
    page.get_by_test_id("pay").click()

    expect(page.get_by_test_id("payment-qr")).to_be_visible()
    expect(page.get_by_test_id("qr-code").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("amount")).to_contain_text(f"{order.total // 100}.00")
    screenshot(page, f"pay-2-qr-{label}-{language}")
    provider_says_paid(Payment.objects.get())

    expect(page).to_have_url(re.compile(rf"/orders/{order.number}/$"))
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
    assert Order.objects.get().status == "paid"
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []


def test_an_offsite_provider_is_reached_through_the_hand_off_page(
    open_page: Callable[..., Page],
    memory_providers: None,
    screenshot: Screenshot,
    browser_log: BrowserLog,
) -> None:
    buyer, order = pending_order()
    page = open_page(**PHONE)
    sign_in(page, buyer.email)
    reached: list[str] = []

    def provider_site(route: Route) -> None:
        reached.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Provider</h1>")

    page.route("https://pay.example/**", provider_site)
    page.goto(f"/orders/{order.number}/")
    page.get_by_test_id("pay-method-memredirect").check()
    page.get_by_test_id("pay").click()

    expect(page).to_have_url(re.compile(r"^https://pay\.example/memredirect-\d+$"))
    payment = Payment.objects.get()
    assert reached == [f"https://pay.example/memredirect-{payment.id}"]
    assert browser_log.csp_violations() == []
