"""The app's adapter for the built-in test gateway (implements PaymentProvider).

The test gateway's API is in-process (payments.gateway), but its webhooks do travel over
HTTP, signed, asynchronously. No money moves, so it refuses to exist unless PAYMENTS_TEST_MODE
is explicitly on (and `check --deploy` refuses production configurations that turn it on).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import JsonResponse
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import DomainError, NotFound
from circlemart.payments import gateway, webhook_signing
from circlemart.payments.models import GatewayCharge
from circlemart.payments.providers.base import (
    BAD_SIGNATURE,
    STALE_WEBHOOK,
    CreatedPayment,
    ProviderPaymentStatus,
    ProviderPayout,
    ProviderPayoutStatus,
    ProviderRefund,
    ProviderRefundStatus,
    ProviderUnavailable,
    RefundRejected,
    WebhookAck,
    WebhookEvent,
    WebhookEventType,
    WebhookRejected,
)

_CHARGE_STATUSES = {
    GatewayCharge.Status.PENDING: ProviderPaymentStatus.PENDING,
    GatewayCharge.Status.SUCCEEDED: ProviderPaymentStatus.SUCCEEDED,
    GatewayCharge.Status.FAILED: ProviderPaymentStatus.FAILED,
    GatewayCharge.Status.CANCELLED: ProviderPaymentStatus.CANCELLED,
}


def _charge(charge_id: str) -> GatewayCharge:
    try:
        return gateway.charge_get(charge_id=charge_id)
    except NotFound as exc:
        raise ProviderUnavailable(_("The payment provider does not know this payment.")) from exc


def _require_test_mode() -> None:
    if not settings.PAYMENTS_TEST_MODE:
        raise ImproperlyConfigured(
            "The test gateway takes orders without money: set PAYMENTS_TEST_MODE=1 to use it "
            "(never in production), or remove test_gateway from PAYMENT_PROVIDERS."
        )


class TestGatewayProvider:
    name: ClassVar[str] = gateway.PROVIDER_NAME
    __test__ = False  # not a pytest test class, whatever its name says

    def __init__(self) -> None:
        _require_test_mode()

    def supports_currency(self, currency: str) -> bool:
        return True

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
        # The gateway posts its webhooks to SITE_URL at delivery time (it lives beside the
        # app, whose serve command sets SITE_URL from its own address), not to notify_url.
        _require_test_mode()
        charge = gateway.charge_create(
            merchant_reference=reference,
            description=description,
            amount=amount,
            currency=currency,
            return_url=return_url,
            idempotency_key=idempotency_key,
        )
        return CreatedPayment(
            provider_payment_id=charge.charge_id, redirect_url=gateway.pay_page_url(charge)
        )

    def fetch_status(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        return _CHARGE_STATUSES[GatewayCharge.Status(_charge(provider_payment_id).status)]

    def cancel_payment(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        _charge(provider_payment_id)
        charge = gateway.charge_cancel(charge_id=provider_payment_id)
        return _CHARGE_STATUSES[GatewayCharge.Status(charge.status)]

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
        if _charge(provider_payment_id).currency != currency:
            raise RefundRejected(_("The refund currency differs from the payment's."))
        try:
            refund = gateway.refund_create(
                charge_id=provider_payment_id,
                amount=amount,
                reason=reason,
                merchant_reference=reference,
                idempotency_key=idempotency_key,
            )
        except gateway.GatewayRefusal as exc:
            raise RefundRejected(exc.message, code=exc.code) from exc
        return ProviderRefund(
            provider_refund_id=refund.refund_id, status=ProviderRefundStatus(refund.status)
        )

    def fetch_refund(
        self, *, provider_payment_id: str, provider_refund_id: str, reference: str
    ) -> ProviderRefund:
        refund = gateway.refund_get(refund_id=provider_refund_id)
        if refund is None or refund.charge.charge_id != provider_payment_id:
            raise ProviderUnavailable(_("The payment provider does not know this refund."))
        return ProviderRefund(
            provider_refund_id=refund.refund_id, status=ProviderRefundStatus(refund.status)
        )

    def send_payout(
        self, *, reference: str, payee: str, amount: int, currency: str, idempotency_key: str
    ) -> ProviderPayout:
        _require_test_mode()
        payout = gateway.payout_create(
            merchant_reference=reference,
            payee=payee,
            amount=amount,
            currency=currency,
            idempotency_key=idempotency_key,
        )
        return ProviderPayout(
            provider_payout_id=payout.payout_id,
            status=ProviderPayoutStatus(payout.status),
            failure_reason=payout.failure_reason,
        )

    def acknowledge_webhook(self, *, error: DomainError | None) -> WebhookAck:
        if error is None:
            return _json_ack(200, {"received": True})
        return _json_ack(error.status, {"error": error.as_dict()})

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        lowered = {name.lower(): value for name, value in headers.items()}
        parsed = webhook_signing.parse_signature_header(
            lowered.get(webhook_signing.SIGNATURE_HEADER.lower(), "")
        )
        if parsed is None:
            raise WebhookRejected(BAD_SIGNATURE, code="bad_signature", field="signature")
        timestamp, digests = parsed
        if abs(clock.now().timestamp() - timestamp) > settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRejected(STALE_WEBHOOK, code="stale_webhook", field="signature")
        secret = settings.PAYMENTS_TEST_GATEWAY_WEBHOOK_SECRET
        if not webhook_signing.is_valid(
            secret=secret, timestamp=timestamp, body=body, digests=digests
        ):
            raise WebhookRejected(BAD_SIGNATURE, code="bad_signature", field="signature")
        return _event_from_body(body)


def _json_ack(status: int, payload: dict[str, Any]) -> WebhookAck:
    return WebhookAck(status=status, body=JsonResponse(payload).content)


def _event_from_body(body: bytes) -> WebhookEvent:
    try:
        payload: Any = json.loads(body)
        data = payload["data"]
        event_id = str(payload["id"])
        raw_type = str(payload["type"])
        occurred_at = datetime.fromtimestamp(int(payload["created"]), tz=UTC)
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookRejected(
            _("The webhook body is not a readable event."), code="malformed_webhook", field="body"
        ) from exc
    try:
        event_type = WebhookEventType(raw_type)
    except ValueError:
        event_type = WebhookEventType.OTHER
    return WebhookEvent(
        event_id=event_id,
        event_type=event_type,
        occurred_at=occurred_at,
        provider_payment_id=str(data.get("charge_id", "")),
        provider_refund_id=str(data.get("refund_id", "")),
        merchant_reference=str(data.get("reference", "")),
        reason=str(data.get("reason", ""))[:200],
    )
