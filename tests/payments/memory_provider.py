"""Two in-memory providers at the payment port, for tests of what the app does around any
provider: one pays by QR code (like WeChat Native), one on its own site (like Stripe)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from circlemart.core.errors import DomainError
from circlemart.payments.providers.base import (
    CreatedPayment,
    ProviderPaymentStatus,
    ProviderRefund,
    ProviderRefundStatus,
    WebhookAck,
    WebhookEvent,
    WebhookEventType,
    WebhookRejected,
)

SECRET = "memory-provider-secret"


@dataclass
class Books:
    """The provider's side: what it was asked and what it holds."""

    created: list[dict[str, object]] = field(default_factory=list)
    statuses: dict[str, ProviderPaymentStatus] = field(default_factory=dict)
    refunds: dict[str, ProviderRefundStatus] = field(default_factory=dict)
    cancelled: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.created.clear()
        self.statuses.clear()
        self.refunds.clear()
        self.cancelled.clear()


BOOKS = Books()


class MemoryQrProvider:
    name: ClassVar[str] = "memqr"

    def supports_currency(self, currency: str) -> bool:
        return currency == "CNY"

    def create_payment(self, **kwargs: object) -> CreatedPayment:
        provider_id = f"{self.name}-{kwargs['reference']}"
        BOOKS.created.append({"provider": self.name, **kwargs})
        BOOKS.statuses.setdefault(provider_id, ProviderPaymentStatus.PENDING)
        return self._created(provider_id)

    def _created(self, provider_id: str) -> CreatedPayment:
        return CreatedPayment(
            provider_payment_id=provider_id, qr_code=f"weixin://pay/{provider_id}"
        )

    def fetch_status(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        return BOOKS.statuses[provider_payment_id]

    def cancel_payment(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        BOOKS.cancelled.append(provider_payment_id)
        if BOOKS.statuses[provider_payment_id] == ProviderPaymentStatus.PENDING:
            BOOKS.statuses[provider_payment_id] = ProviderPaymentStatus.CANCELLED
        return BOOKS.statuses[provider_payment_id]

    def refund(self, **kwargs: object) -> ProviderRefund:
        refund_id = f"rf-{kwargs['reference']}"
        BOOKS.refunds.setdefault(refund_id, ProviderRefundStatus.PENDING)
        return ProviderRefund(provider_refund_id=refund_id, status=BOOKS.refunds[refund_id])

    def fetch_refund(
        self, *, provider_payment_id: str, provider_refund_id: str, reference: str
    ) -> ProviderRefund:
        return ProviderRefund(
            provider_refund_id=provider_refund_id, status=BOOKS.refunds[provider_refund_id]
        )

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        if headers.get("X-Memory-Secret") != SECRET:
            raise WebhookRejected("forged", code="bad_signature", field="signature")
        payload = json.loads(body)
        return WebhookEvent(
            event_id=payload["id"],
            event_type=WebhookEventType(payload["type"]),
            occurred_at=datetime.now(tz=UTC),
            provider_payment_id=payload.get("payment", ""),
            provider_refund_id=payload.get("refund", ""),
        )

    def acknowledge_webhook(self, *, error: DomainError | None) -> WebhookAck:
        if error is None:
            return WebhookAck(status=200, body=b"success", content_type="text/plain")
        return WebhookAck(status=error.status, body=b"fail", content_type="text/plain")


class MemoryRedirectProvider(MemoryQrProvider):
    name: ClassVar[str] = "memredirect"

    def supports_currency(self, currency: str) -> bool:
        return True

    def _created(self, provider_id: str) -> CreatedPayment:
        return CreatedPayment(
            provider_payment_id=provider_id, redirect_url=f"https://pay.example/{provider_id}"
        )


QR = "tests.payments.memory_provider.MemoryQrProvider"
REDIRECT = "tests.payments.memory_provider.MemoryRedirectProvider"
