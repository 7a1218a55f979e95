"""Payments test fixtures: the test gateway with in-process webhooks, and a small driver that
starts, pays, refunds and inspects payments the way orders and buyers do."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import Client

from circlemart.core.models import OutboxEvent
from circlemart.payments import gateway, services, tasks, webhook_signing
from circlemart.payments.contracts import PaymentView, RefundView
from circlemart.payments.models import GatewayCharge, Payment
from circlemart.payments.transports import InProcessTransport

WEBHOOK_PATH = "/payments/webhooks/test_gateway/"


@pytest.fixture(autouse=True)
def _payments_settings(settings: Any) -> None:
    settings.PAYMENT_PROVIDERS = ["test_gateway"]
    settings.PAYMENTS_WEBHOOK_TRANSPORT = "in_process"
    settings.PAYMENTS_TEST_MODE = True
    settings.PAYMENTS_WEBHOOK_MAX_ATTEMPTS = 4
    settings.SITE_URL = "http://testserver"
    FlakyTransport.failures_left = 0
    FlakyTransport.statuses.clear()


class FlakyTransport(InProcessTransport):
    """Answers 503 for the first `failures_left` posts, then delivers for real."""

    failures_left: ClassVar[int] = 0
    statuses: ClassVar[list[int]] = []

    def post(self, *, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        if FlakyTransport.failures_left > 0:
            FlakyTransport.failures_left -= 1
            status = 503
        else:
            status = super().post(url=url, body=body, headers=headers, timeout=timeout)
        FlakyTransport.statuses.append(status)
        return status


def sign(body: bytes, *, timestamp: int | None = None, secret: str | None = None) -> str:
    return webhook_signing.signature_header(
        secret=secret or django_settings.PAYMENTS_TEST_GATEWAY_WEBHOOK_SECRET,
        timestamp=int(time.time()) if timestamp is None else timestamp,
        body=body,
    )


def charge_event(
    charge: GatewayCharge, event_type: str, *, event_id: str, created: int | None = None
) -> bytes:
    status = event_type.removeprefix("payment.")
    payload = {
        "id": event_id,
        "type": event_type,
        "created": int(time.time()) if created is None else created,
        "data": {
            "object": "charge",
            "charge_id": charge.charge_id,
            "reference": charge.merchant_reference,
            "amount": charge.amount,
            "currency": charge.currency,
            "status": status,
        },
    }
    return json.dumps(payload).encode()


def post_webhook(client: Client, body: bytes, *, signature: str | None = None) -> HttpResponse:
    headers = {webhook_signing.SIGNATURE_HEADER: sign(body) if signature is None else signature}
    return client.post(WEBHOOK_PATH, data=body, content_type="application/json", headers=headers)


def events_of(event_type: str) -> list[dict[str, Any]]:
    rows = OutboxEvent.objects.filter(event_type=f"payments.{event_type}").order_by("id")
    return [row.payload for row in rows]


class Shop:
    """Drives payments like orders (services) and buyers (the hosted page) do."""

    def __init__(
        self,
        client: Client,
        capture: Callable[..., AbstractContextManager[list[Callable[[], None]]]],
    ) -> None:
        self.client = client
        self.capture = capture

    def start(
        self,
        order_number: str = "CM1001",
        *,
        amount: int = 10000,
        buyer_id: int = 7,
        currency: str = "CNY",
        return_url: str | None = None,
    ) -> PaymentView:
        return services.payment_start(
            order_number=order_number,
            buyer_id=buyer_id,
            amount=amount,
            currency=currency,
            return_url=return_url or f"/orders/{order_number}/",
            idempotency_key=f"order:{order_number}",
        )

    def charge(self, payment: PaymentView) -> GatewayCharge:
        provider_id = Payment.objects.get(pk=payment.id).provider_payment_id
        return GatewayCharge.objects.get(charge_id=provider_id)

    def press(self, payment: PaymentView, outcome: str = "pay") -> HttpResponse:
        """The buyer presses Pay/Fail on the hosted page; webhooks go out after commit."""
        with self.capture(execute=True):
            return self.client.post(urlsplit(payment.redirect_url).path, {"outcome": outcome})

    def captured(self, order_number: str = "CM1001", **kwargs: Any) -> PaymentView:
        payment = self.start(order_number, **kwargs)
        self.press(payment)
        return services.payment_confirm_from_provider(payment_id=payment.id)

    def refund(
        self, order_number: str = "CM1001", *, amount: int, reference: str, reason: str = "r"
    ) -> RefundView:
        with self.capture(execute=True):
            return services.payment_refund(
                order_number=order_number, amount=amount, reason=reason, reference=reference
            )

    def set_behaviour(self, payment: PaymentView, **changes: Any) -> None:
        gateway.charge_set_behaviour(
            charge_id=self.charge(payment).charge_id, behaviour=gateway.Behaviour(**changes)
        )


@pytest.fixture
def shop(django_capture_on_commit_callbacks: Any) -> Shop:
    return Shop(Client(HTTP_ACCEPT_LANGUAGE="en"), django_capture_on_commit_callbacks)


@pytest.fixture
def delivery_countdowns(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Countdowns with which webhook deliveries were scheduled (eager mode runs them at once)."""
    seen: list[int] = []
    original = tasks.gateway_deliver_webhook.apply_async

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("countdown", 0))
        return original(*args, **kwargs)

    monkeypatch.setattr(tasks.gateway_deliver_webhook, "apply_async", recording)
    return seen
