"""The built-in test gateway's own side: what an external provider does behind its API.

It keeps its own books (GatewayCharge, GatewayRefund), serves a hosted pay page (views), and
tells the merchant what happened through signed webhooks that a Celery task POSTs to
SITE_URL asynchronously, retrying with back-off while the app answers non-2xx. Test controls
on each charge make it misbehave the way real providers do: fail, answer late, say things
twice, say stale things last. The app talks to it only through providers.test_gateway.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound
from circlemart.payments import webhook_signing
from circlemart.payments.models import (
    GatewayCharge,
    GatewayPayee,
    GatewayPayout,
    GatewayRefund,
    GatewayWebhook,
)
from circlemart.payments.transports import webhook_transport

logger = logging.getLogger(__name__)

PROVIDER_NAME = "test_gateway"
RETRY_BASE_SECONDS = 2
RETRY_CAP_SECONDS = 600


class GatewayRefusal(Conflict):
    """The gateway said no (its API would answer 4xx)."""

    code = "gateway_refused"


@dataclass(frozen=True)
class Behaviour:
    fail_payment: bool | None = None
    fail_refunds: bool | None = None
    webhook_delay_seconds: int | None = None
    duplicate_webhooks: bool | None = None
    out_of_order: bool | None = None


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str  # GatewayWebhook.Status value after this attempt
    retry_in: int | None = None  # seconds until the next attempt, when there is one


# --- Charges ----------------------------------------------------------------------------------


def pay_page_url(charge: GatewayCharge) -> str:
    """A path on this site: right whatever host and port the buyer reached the shop by."""
    return reverse("payments:test-gateway-pay", args=[charge.token])


def charge_create(
    *,
    merchant_reference: str,
    description: str,
    amount: int,
    currency: str,
    return_url: str,
    idempotency_key: str,
) -> GatewayCharge:
    """Open a charge; the same idempotency key gives back the same charge."""
    existing = GatewayCharge.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return GatewayCharge.objects.create(
                charge_id=f"ch_{secrets.token_hex(12)}",
                token=secrets.token_urlsafe(24),
                idempotency_key=idempotency_key,
                merchant_reference=merchant_reference,
                description=description[:200],
                amount=amount,
                currency=currency,
                return_url=return_url,
            )
    except IntegrityError:  # the same key arrived twice at once
        return GatewayCharge.objects.get(idempotency_key=idempotency_key)


def charge_get(*, charge_id: str) -> GatewayCharge:
    charge = GatewayCharge.objects.filter(charge_id=charge_id).first()
    if charge is None:
        raise NotFound(_("No such charge."), code="no_such_charge")
    return charge


def refund_get(*, refund_id: str) -> GatewayRefund | None:
    return GatewayRefund.objects.select_related("charge").filter(refund_id=refund_id).first()


def charge_by_token(*, token: str) -> GatewayCharge:
    charge = GatewayCharge.objects.filter(token=token).first()
    if charge is None:
        raise NotFound(_("This payment link is not valid."), code="no_such_charge")
    return charge


def charge_set_behaviour(*, charge_id: str, behaviour: Behaviour) -> GatewayCharge:
    """Test control: how this charge misbehaves from now on."""
    changes = {
        name: value
        for name, value in (
            ("fail_payment", behaviour.fail_payment),
            ("fail_refunds", behaviour.fail_refunds),
            ("webhook_delay_seconds", behaviour.webhook_delay_seconds),
            ("duplicate_webhooks", behaviour.duplicate_webhooks),
            ("out_of_order", behaviour.out_of_order),
        )
        if value is not None
    }
    if changes:
        GatewayCharge.objects.filter(charge_id=charge_id).update(**changes)
    return charge_get(charge_id=charge_id)


def charge_complete(*, token: str, pay: bool) -> GatewayCharge:
    """The buyer pressed Pay (pay=True) or Fail on the hosted page. Final states stay final."""
    with transaction.atomic():
        charge = GatewayCharge.objects.select_for_update().filter(token=token).first()
        if charge is None:
            raise NotFound(_("This payment link is not valid."), code="no_such_charge")
        if charge.status != GatewayCharge.Status.PENDING:
            return charge
        succeeded = pay and not charge.fail_payment
        charge.status = GatewayCharge.Status.SUCCEEDED if succeeded else GatewayCharge.Status.FAILED
        charge.completed_at = clock.now()
        charge.save(update_fields=["status", "completed_at"])
        _queue_charge_events(charge)
    return charge


def charge_cancel(*, charge_id: str) -> GatewayCharge:
    """The merchant withdrew an unpaid charge: its pay page stops taking money."""
    charge = charge_get(charge_id=charge_id)
    GatewayCharge.objects.filter(pk=charge.pk, status=GatewayCharge.Status.PENDING).update(
        status=GatewayCharge.Status.CANCELLED, completed_at=clock.now()
    )
    charge.refresh_from_db()
    return charge


def _charge_data(charge: GatewayCharge, status: str) -> dict[str, Any]:
    return {
        "object": "charge",
        "charge_id": charge.charge_id,
        "reference": charge.merchant_reference,
        "amount": charge.amount,
        "currency": charge.currency,
        "status": status,
    }


def _queue_charge_events(charge: GatewayCharge) -> None:
    delay = charge.webhook_delay_seconds
    final = (
        "payment.succeeded" if charge.status == GatewayCharge.Status.SUCCEEDED else "payment.failed"
    )
    completed_at = charge.completed_at or clock.now()
    _queue_event(
        event_type=final,
        data=_charge_data(charge, charge.status),
        occurred_at=completed_at,
        countdown=delay,
        copies=2 if charge.duplicate_webhooks else 1,
    )
    if charge.out_of_order:
        # Events from before the final one, delivered after it (a provider's retry queue).
        stale = [("payment.processing", "pending")]
        if final == "payment.succeeded":
            stale.append(("payment.failed", "failed"))
        for offset, (event_type, status) in enumerate(stale, start=1):
            _queue_event(
                event_type=event_type,
                data=_charge_data(charge, status) | {"reason": "stale"},
                occurred_at=charge.created_at,
                countdown=delay + offset,
            )


# --- Payouts ----------------------------------------------------------------------------------


def payee_set_behaviour(*, payee: str, fail_payouts: bool) -> None:
    """Test control: payouts to `payee` fail from now on (or succeed again)."""
    GatewayPayee.objects.update_or_create(payee=payee, defaults={"fail_payouts": fail_payouts})


def payout_create(
    *, merchant_reference: str, payee: str, amount: int, currency: str, idempotency_key: str
) -> GatewayPayout:
    """Transfer money to a payee, decided at once; the same key gives back the same payout."""
    existing = GatewayPayout.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if amount <= 0:
        raise GatewayRefusal(_("A payout needs a positive amount."), code="invalid_amount")
    failing = GatewayPayee.objects.filter(payee=payee, fail_payouts=True).exists()
    try:
        with transaction.atomic():
            return GatewayPayout.objects.create(
                payout_id=f"po_{secrets.token_hex(12)}",
                idempotency_key=idempotency_key,
                merchant_reference=merchant_reference[:100],
                payee=payee[:100],
                amount=amount,
                currency=currency,
                status=GatewayPayout.Status.FAILED if failing else GatewayPayout.Status.SUCCEEDED,
                failure_reason=_("The payee's account refused the transfer.") if failing else "",
            )
    except IntegrityError:  # the same key arrived twice at once
        return GatewayPayout.objects.get(idempotency_key=idempotency_key)


# --- Refunds ----------------------------------------------------------------------------------


def refund_create(
    *, charge_id: str, amount: int, reason: str, merchant_reference: str, idempotency_key: str
) -> GatewayRefund:
    """Accept a refund request; it settles asynchronously (gateway_settle_refund)."""
    existing = GatewayRefund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    from circlemart.payments.tasks import gateway_settle_refund  # tasks import this module

    try:
        with transaction.atomic():
            charge = charge_get(charge_id=charge_id)
            if charge.status != GatewayCharge.Status.SUCCEEDED:
                raise GatewayRefusal(_("Only a paid charge can be refunded."), code="not_paid")
            if amount <= 0 or not GatewayCharge.objects.filter(
                pk=charge.pk, refunded_amount__lte=F("amount") - amount
            ).update(refunded_amount=F("refunded_amount") + amount):
                raise GatewayRefusal(
                    _("The refund is larger than what is left on the charge."),
                    code="amount_too_large",
                    field="amount",
                )
            refund = GatewayRefund.objects.create(
                refund_id=f"re_{secrets.token_hex(12)}",
                charge=charge,
                idempotency_key=idempotency_key,
                merchant_reference=merchant_reference,
                amount=amount,
                reason=reason[:200],
            )
            transaction.on_commit(lambda: gateway_settle_refund.delay(refund.pk), robust=True)
    except IntegrityError:
        return GatewayRefund.objects.get(idempotency_key=idempotency_key)
    return refund


def refund_settle(*, refund_id: int) -> GatewayRefund:
    """The bank answered: succeed (or fail, when the charge says so) and tell the merchant."""
    with transaction.atomic():
        refund = (
            GatewayRefund.objects.select_for_update().select_related("charge").get(pk=refund_id)
        )
        if refund.status != GatewayRefund.Status.PENDING:
            return refund
        charge = refund.charge
        if charge.fail_refunds:
            refund.status = GatewayRefund.Status.FAILED
            GatewayCharge.objects.filter(pk=charge.pk).update(
                refunded_amount=F("refunded_amount") - refund.amount
            )
        else:
            refund.status = GatewayRefund.Status.SUCCEEDED
        refund.completed_at = clock.now()
        refund.save(update_fields=["status", "completed_at"])
        _queue_event(
            event_type=f"refund.{refund.status}",
            data={
                "object": "refund",
                "refund_id": refund.refund_id,
                "charge_id": charge.charge_id,
                "reference": refund.merchant_reference,
                "amount": refund.amount,
                "currency": charge.currency,
                "status": refund.status,
                "reason": "declined by the bank" if charge.fail_refunds else "",
            },
            occurred_at=refund.completed_at,
            countdown=charge.webhook_delay_seconds,
            copies=2 if charge.duplicate_webhooks else 1,
        )
    return refund


# --- Webhooks ---------------------------------------------------------------------------------


def _sender(task: Any, webhook_id: int, countdown: int) -> Callable[[], None]:
    def send() -> None:  # a named function: on_commit logs failures by __qualname__
        task.apply_async(args=[webhook_id], countdown=countdown)

    return send


def _queue_event(
    *,
    event_type: str,
    data: dict[str, Any],
    occurred_at: datetime,
    countdown: int = 0,
    copies: int = 1,
) -> None:
    """Write the event's deliveries; the task sends them after this transaction commits."""
    from circlemart.payments.tasks import gateway_deliver_webhook  # tasks import this module

    event_id = f"evt_{uuid.uuid4().hex}"
    payload = {
        "id": event_id,
        "type": event_type,
        "created": int(occurred_at.timestamp()),
        "data": data,
    }
    for _copy in range(copies):
        row = GatewayWebhook.objects.create(
            event_id=event_id, event_type=event_type, payload=payload, countdown_seconds=countdown
        )
        transaction.on_commit(_sender(gateway_deliver_webhook, row.pk, countdown), robust=True)


def webhook_url() -> str:
    path = reverse("payments:webhook", args=[PROVIDER_NAME])
    return settings.SITE_URL.rstrip("/") + path


def retry_delay(attempts: int) -> int:
    """2, 4, 8 … seconds after each failed attempt, capped at ten minutes."""
    return int(min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_CAP_SECONDS))


def webhook_body(row: GatewayWebhook) -> bytes:
    return json.dumps(row.payload, separators=(",", ":"), sort_keys=True).encode()


def webhook_deliver(*, webhook_id: int) -> DeliveryOutcome:
    """One attempt to deliver one webhook, signed now (a retry carries a fresh timestamp)."""
    row = GatewayWebhook.objects.get(pk=webhook_id)
    if row.status != GatewayWebhook.Status.PENDING:
        return DeliveryOutcome(status=row.status)
    body = webhook_body(row)
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        webhook_signing.SIGNATURE_HEADER: webhook_signing.signature_header(
            secret=settings.PAYMENTS_TEST_GATEWAY_WEBHOOK_SECRET, timestamp=timestamp, body=body
        ),
    }
    status_code: int | None = None
    error = ""
    try:
        status_code = webhook_transport().post(
            url=webhook_url(),
            body=body,
            headers=headers,
            timeout=float(settings.PAYMENTS_WEBHOOK_TIMEOUT_SECONDS),
        )
    except OSError as exc:  # connection refused, timeout, DNS: the merchant is unreachable
        error = f"{type(exc).__name__}: {exc}"[:500]
    attempts = row.attempts + 1
    now = clock.now()
    if status_code is not None and 200 <= status_code < 300:
        GatewayWebhook.objects.filter(pk=row.pk).update(
            status=GatewayWebhook.Status.DELIVERED,
            attempts=attempts,
            last_response_status=status_code,
            last_error="",
            delivered_at=now,
        )
        return DeliveryOutcome(status=GatewayWebhook.Status.DELIVERED)
    gave_up = attempts >= settings.PAYMENTS_WEBHOOK_MAX_ATTEMPTS
    status = GatewayWebhook.Status.GAVE_UP if gave_up else GatewayWebhook.Status.PENDING
    GatewayWebhook.objects.filter(pk=row.pk).update(
        status=status,
        attempts=attempts,
        last_response_status=status_code,
        last_error=error or f"HTTP {status_code}",
    )
    logger.warning(
        "test gateway webhook not accepted",
        extra={"event_id": row.event_id, "status_code": status_code, "attempts": attempts},
    )
    return DeliveryOutcome(status=status, retry_in=None if gave_up else retry_delay(attempts))


def sweep_pending(*, older_than: timedelta) -> tuple[int, int]:
    """What a real provider does on its own: settle refunds still pending after a while and
    resend webhooks still undelivered, in case the task that should have done it was lost (a
    worker killed between a commit and its task send). Returns (refunds settled, webhooks
    attempted). A redelivered webhook is harmless: the merchant dedupes by event id."""
    cutoff = clock.now() - older_than
    refunds = list(
        GatewayRefund.objects.filter(
            status=GatewayRefund.Status.PENDING, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:200]
    )
    for refund_id in refunds:
        refund_settle(refund_id=refund_id)
    webhooks = [
        row_id
        for row_id, countdown, created in GatewayWebhook.objects.filter(
            status=GatewayWebhook.Status.PENDING, created_at__lt=cutoff
        ).values_list("pk", "countdown_seconds", "created_at")[:500]
        if created + timedelta(seconds=countdown) < cutoff
    ]
    for webhook_id in webhooks:
        webhook_deliver(webhook_id=webhook_id)
    return len(refunds), len(webhooks)
