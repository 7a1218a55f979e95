"""What the app does around any provider: the buyer's choice, switching, the QR page, the
hand-off page, provider-shaped webhook answers and reconciliation of lost notifications."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from circlemart.core import clock
from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.payments import links, selectors, services
from circlemart.payments.contracts import PaymentStatus, RefundStatus
from circlemart.payments.models import Payment, Refund, WebhookReceipt
from circlemart.payments.providers.base import ProviderPaymentStatus, ProviderRefundStatus
from tests.payments.conftest import events_of
from tests.payments.memory_provider import BOOKS, QR, REDIRECT, SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _memory_providers(settings: Any) -> None:
    settings.PAYMENT_PROVIDERS = [QR, REDIRECT]
    BOOKS.clear()


def start(provider: str = "", *, currency: str = "CNY", site_url: str = "http://shop.test:8123"):
    return services.payment_start(
        order_number="CM2001",
        buyer_id=7,
        amount=4200,
        currency=currency,
        return_url="/orders/CM2001/",
        idempotency_key="order:CM2001",
        site_url=site_url,
        provider=provider,
    )


def notify(client: Client, provider: str, payload: dict[str, str], *, secret: str = SECRET):
    return client.post(
        f"/payments/webhooks/{provider}/",
        data=json.dumps(payload),
        content_type="application/json",
        headers={"X-Memory-Secret": secret},
    )


def test_the_first_provider_for_the_currency_is_the_default():
    assert start().provider == "memqr"
    assert [m.name for m in selectors.payment_methods("USD")] == ["memredirect"]
    assert [m.label for m in selectors.payment_methods("CNY")] == ["memqr", "memredirect"]


def test_links_are_built_from_the_origin_the_buyer_reached_the_shop_by():
    payment = start()

    (created,) = BOOKS.created
    assert created["return_url"] == links.provider_return_url(
        payment.id, site_url="http://shop.test:8123"
    )
    assert str(created["return_url"]).startswith(
        f"http://shop.test:8123/payments/return/{payment.id}/"
    )
    assert created["notify_url"] == "http://shop.test:8123/payments/webhooks/memqr/"


def test_a_qr_payment_sends_the_buyer_to_the_shops_qr_page():
    payment = start("memqr")

    assert payment.qr_code == f"weixin://pay/memqr-{payment.id}"
    assert payment.redirect_url == links.qr_page_path(payment.id)
    assert selectors.buyer_pay_path(payment) == payment.redirect_url


def test_an_offsite_payment_is_handed_over_by_the_leave_page(client: Client):
    payment = start("memredirect")

    path = selectors.buyer_pay_path(payment)
    page = client.get(path)

    assert path == links.leave_path(payment.id)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'content="0;url=https://pay.example/memredirect-{payment.id}"' in html
    assert f'href="https://pay.example/memredirect-{payment.id}"' in html


def test_the_leave_and_qr_pages_need_the_signature_or_the_owner(client: Client):
    payment = start("memqr")

    assert client.get(f"/payments/{payment.id}/qr/").status_code == 404
    assert client.get(f"/payments/{payment.id}/qr/?sig=forged").status_code == 404
    assert client.get(f"/payments/{payment.id}/leave/?sig=forged").status_code == 404
    assert client.get(links.qr_page_path(payment.id)).status_code == 200


def test_qr_page_shows_the_code_then_moves_on_once_paid(client: Client):
    payment = start("memqr")
    page = client.get(links.qr_page_path(payment.id))
    waiting = client.get(links.qr_page_path(payment.id), headers={"HX-Request": "true"})

    notify(
        client, "memqr", {"id": "e1", "type": "payment.succeeded", "payment": f"memqr-{payment.id}"}
    )
    done = client.get(links.qr_page_path(payment.id), headers={"HX-Request": "true"})

    assert "<svg" in page.content.decode()
    assert 'data-testid="qr-code"' in page.content.decode()
    assert waiting.status_code == 204
    assert done.status_code == 200
    assert done["HX-Redirect"] == "/orders/CM2001/"


def test_switching_provider_withdraws_the_open_payment_and_opens_one_at_the_new():
    first = start("memqr")
    second = start("memredirect")

    assert second.id != first.id
    assert second.provider == "memredirect"
    assert Payment.objects.get(pk=first.id).status == PaymentStatus.CANCELLED
    assert BOOKS.cancelled == [f"memqr-{first.id}"]
    assert Payment.objects.filter(status=PaymentStatus.CREATED).count() == 1


def test_asking_again_for_the_same_provider_resumes_the_open_payment():
    first = start("memqr")
    again = start("memqr")
    default = start()

    assert again.id == first.id == default.id
    assert len(BOOKS.created) == 1


def test_an_unknown_or_unsuitable_provider_is_refused_and_nothing_is_written():
    with pytest.raises(ValidationFailed) as unknown:
        start("paypal")
    with pytest.raises(ValidationFailed) as unsuitable:
        start("memqr", currency="USD")

    assert unknown.value.field == unsuitable.value.field == "provider"
    assert unknown.value.code == "unknown_provider"
    assert Payment.objects.count() == 0


def test_with_no_provider_enabled_the_payment_cannot_start(settings: Any):
    settings.PAYMENT_PROVIDERS = []

    with pytest.raises(Conflict) as refusal:
        start()

    assert refusal.value.code == "no_payment_provider"
    assert Payment.objects.count() == 0


def test_webhooks_are_answered_in_the_providers_own_form(client: Client):
    payment = start("memqr")
    payload = {"id": "e1", "type": "payment.succeeded", "payment": f"memqr-{payment.id}"}

    forged = notify(client, "memqr", payload, secret="guess")
    applied = notify(client, "memqr", payload)
    replayed = notify(client, "memqr", payload)
    unknown_provider = notify(client, "paypal", payload)

    assert (forged.status_code, forged.content) == (400, b"fail")
    assert (applied.status_code, applied.content) == (200, b"success")
    assert (replayed.status_code, replayed.content) == (200, b"success")
    assert unknown_provider.status_code == 404
    assert Payment.objects.get(pk=payment.id).status == PaymentStatus.CAPTURED
    assert WebhookReceipt.objects.count() == 1
    assert len(events_of("PaymentCaptured")) == 1


def test_reconcile_applies_what_a_lost_notification_would_have_said(client: Client):
    paid = start("memqr")
    BOOKS.statuses[f"memqr-{paid.id}"] = ProviderPaymentStatus.SUCCEEDED

    too_early = services.payments_reconcile(older_than=timedelta(minutes=15))
    Payment.objects.filter(pk=paid.id).update(created_at=clock.now() - timedelta(minutes=20))
    outcomes = services.payments_reconcile(older_than=timedelta(minutes=15))
    again = services.payments_reconcile(older_than=timedelta(minutes=15))

    assert too_early == {}
    assert outcomes == {"captured": 1}
    assert again == {}
    assert len(events_of("PaymentCaptured")) == 1


def test_reconcile_settles_a_refund_whose_notification_was_lost():
    payment = start("memqr")
    BOOKS.statuses[f"memqr-{payment.id}"] = ProviderPaymentStatus.SUCCEEDED
    services.payment_confirm_from_provider(payment_id=payment.id)
    refund = services.payment_refund(
        order_number="CM2001", amount=1000, reason="r", reference="aftersales:1"
    )
    Refund.objects.filter(pk=refund.id).update(created_at=clock.now() - timedelta(hours=1))

    pending = services.payments_reconcile(older_than=timedelta(minutes=15))
    BOOKS.refunds[f"rf-{refund.id}"] = ProviderRefundStatus.SUCCEEDED
    settled = services.payments_reconcile(older_than=timedelta(minutes=15))

    assert refund.status == RefundStatus.PENDING
    assert pending == {"pending": 1}
    assert settled == {"refund_succeeded": 1}
    assert Refund.objects.get(pk=refund.id).status == RefundStatus.SUCCEEDED
    assert len(events_of("RefundSucceeded")) == 1


def test_the_api_lists_the_methods_for_a_currency(client: Client):
    cny = client.get("/api/v1/payments/methods?currency=CNY")
    usd = client.get("/api/v1/payments/methods?currency=usd")

    assert cny.status_code == 200
    assert [method["name"] for method in cny.json()] == ["memqr", "memredirect"]
    assert usd.json() == [{"name": "memredirect", "label": "memredirect"}]
