"""The payment provider port: what the app needs from any provider (a typing.Protocol).

The enabled providers are listed by the PAYMENT_PROVIDERS setting (names such as "alipay" or
dotted paths) and checked at start-up (payments.checks); the buyer picks one per payment.
Calls may go over the network: implementations time out within seconds and raise
ProviderUnavailable for anything worth retrying, or a refusal (RefundRejected) for answers that
will not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Protocol, runtime_checkable

from django.utils.translation import gettext_lazy as _

from circlemart.core.errors import DomainError, ValidationFailed


class ProviderPaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ProviderRefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookEventType(StrEnum):
    PAYMENT_PROCESSING = "payment.processing"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_CANCELLED = "payment.cancelled"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    OTHER = "other"


@dataclass(frozen=True)
class CreatedPayment:
    provider_payment_id: str
    # The provider's hosted pay page (Alipay page pay, Stripe Checkout, the test gateway) …
    redirect_url: str = ""
    # … or what the buyer scans with the provider's app (WeChat Pay Native `code_url`): the
    # shop then shows it as a QR code on its own page and waits for the notification.
    qr_code: str = ""


@dataclass(frozen=True)
class WebhookAck:
    """What the provider must be answered so it stops (or keeps) retrying a notification."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"


@dataclass(frozen=True)
class ProviderRefund:
    provider_refund_id: str
    status: ProviderRefundStatus


@dataclass(frozen=True)
class WebhookEvent:
    """A verified provider event, in the app's words."""

    event_id: str
    event_type: WebhookEventType
    occurred_at: datetime
    provider_payment_id: str = ""
    provider_refund_id: str = ""
    # What the app passed as `reference` when it created the payment or refund.
    merchant_reference: str = ""
    reason: str = ""


class ProviderPayoutStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class ProviderPayout:
    provider_payout_id: str
    status: ProviderPayoutStatus
    failure_reason: str = ""


class ProviderUnavailable(DomainError):
    """The provider did not answer or answered with an error worth retrying."""

    status = 503
    code = "provider_unavailable"


class RefundRejected(DomainError):
    """The provider refused the refund for good (nothing left to refund at its side, …)."""

    status = 409
    code = "refund_rejected"


class WebhookRejected(ValidationFailed):
    """Bad signature, stale timestamp or unreadable body: answered with a 400."""

    code = "invalid_webhook"


STALE_WEBHOOK = _("The webhook timestamp is too old or too far in the future.")
BAD_SIGNATURE = _("The webhook signature does not match.")


@runtime_checkable
class PaymentProvider(Protocol):
    name: ClassVar[str]  # path segment of its webhook URL: /payments/webhooks/<name>/

    def create_payment(
        self,
        *,
        reference: str,
        description: str,
        amount: int,
        currency: str,
        return_url: str,
        notify_url: str,
        idempotency_key: str,
    ) -> CreatedPayment:
        """Open a payment the buyer completes on the provider's page (or by scanning its QR
        code); idempotent by key. `reference` is ours (at most 64 ASCII characters), echoed
        back in notifications; `return_url` is where the buyer comes back to, `notify_url`
        where the provider posts its notifications."""

    def fetch_status(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        """The provider's current word on a payment (used on the buyer's return path)."""

    def cancel_payment(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        """Make an unpaid payment unpayable; returns the status after the attempt (SUCCEEDED
        when the buyer paid first)."""

    def refund(
        self,
        *,
        provider_payment_id: str,
        amount: int,
        currency: str,
        reason: str,
        reference: str,
        notify_url: str,
        idempotency_key: str,
    ) -> ProviderRefund:
        """Refund part or all of a captured payment; idempotent by key. Usually PENDING: the
        outcome arrives later as a refund.succeeded / refund.failed webhook."""

    def fetch_refund(
        self, *, provider_payment_id: str, provider_refund_id: str, reference: str
    ) -> ProviderRefund:
        """The provider's current word on a refund (reconciling refunds whose notification
        never came). `reference` is what `refund` was given."""

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """Check the signature (over timestamp and body) and its age; raise WebhookRejected."""

    def acknowledge_webhook(self, *, error: DomainError | None) -> WebhookAck:
        """The answer the provider expects: success when `error` is None, otherwise one that
        makes it retry (or give up, for a forged or malformed notification)."""

    def supports_currency(self, currency: str) -> bool:
        """Whether this provider can take payments in `currency` (ISO 4217)."""


@runtime_checkable
class PayoutProvider(Protocol):
    """What a provider that can send money out (withdrawals of distributors' commission)
    implements besides PaymentProvider. Kept a protocol of its own so providers that cannot
    pay out (or are not contracted to) still satisfy PaymentProvider."""

    name: ClassVar[str]

    def send_payout(
        self, *, reference: str, payee: str, amount: int, currency: str, idempotency_key: str
    ) -> ProviderPayout:
        """Transfer `amount` to `payee` (our id of the person paid); idempotent by key: a
        repeat answers with the first payout. FAILED is final (nothing moved); PENDING means
        ask again with the same key later; ProviderUnavailable when it did not answer."""
