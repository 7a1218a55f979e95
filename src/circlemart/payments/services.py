"""Writes of payments: start a payment, converge on the provider's word (return path and
webhooks), refund, cancel.

Every status change is one conditional UPDATE (`WHERE status = …`) in the transaction that
publishes its event, so the webhook, the buyer's return and a retry can race and still move a
payment created→captured exactly once. Refunds reserve their amount on the payment with a
guarded UPDATE before the provider is asked; a failed refund releases it. Provider calls run
outside our own transactions where we can choose (a slow provider holds no row lock of ours).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from circlemart.core.events import publish
from circlemart.payments import errors, links
from circlemart.payments.contracts import (
    PaymentStatus,
    PaymentView,
    PayoutResult,
    PayoutStatus,
    RefundStatus,
    RefundView,
)
from circlemart.payments.events import (
    PaymentCaptured,
    PaymentFailed,
    RefundFailed,
    RefundSucceeded,
)
from circlemart.payments.models import Payment, Refund, WebhookReceipt
from circlemart.payments.providers import (
    provider_named,
    providers_for_currency,
    usable_providers,
)
from circlemart.payments.providers.base import (
    PaymentProvider,
    PayoutProvider,
    ProviderPaymentStatus,
    ProviderRefund,
    ProviderRefundStatus,
    ProviderUnavailable,
    RefundRejected,
    WebhookAck,
    WebhookEvent,
    WebhookEventType,
)
from circlemart.payments.selectors import payment_view, refund_view

logger = logging.getLogger(__name__)

LIVE = (PaymentStatus.CREATED, PaymentStatus.CAPTURED)
MAX_REFERENCE_LENGTH = 128
MAX_ORDER_NUMBER_LENGTH = 40
PAYMENT_EVENTS = frozenset(
    {
        WebhookEventType.PAYMENT_PROCESSING,
        WebhookEventType.PAYMENT_SUCCEEDED,
        WebhookEventType.PAYMENT_FAILED,
        WebhookEventType.PAYMENT_CANCELLED,
    }
)
REFUND_EVENTS = frozenset({WebhookEventType.REFUND_SUCCEEDED, WebhookEventType.REFUND_FAILED})


# --- Checks -----------------------------------------------------------------------------------


def check_amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationFailed(
            _("The amount must be a positive whole number of minor units."),
            code=errors.INVALID_AMOUNT,
            field="amount",
        )
    return amount


def check_currency(currency: str) -> str:
    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise ValidationFailed(
            _("The currency must be a three-letter ISO 4217 code."),
            code=errors.INVALID_CURRENCY,
            field="currency",
        )
    return code


def check_return_url(url: str) -> str:
    if not links.is_same_site_path(url):
        raise ValidationFailed(
            _("The return URL must be a path on this site."),
            code=errors.INVALID_RETURN_URL,
            field="return_url",
        )
    return url


def _check_text(value: str, *, field: str, max_length: int, code: str = "invalid") -> str:
    text = (value or "").strip()
    if not text or len(text) > max_length:
        raise ValidationFailed(_("This value is missing or too long."), code=code, field=field)
    return text


# --- Starting a payment -----------------------------------------------------------------------


def _live_payment(order_number: str) -> Payment | None:
    return Payment.objects.filter(
        order_number=order_number, status__in=LIVE, is_late_capture=False
    ).first()


def _live_payment_or_new(
    *,
    order_number: str,
    buyer_id: int,
    amount: int,
    currency: str,
    return_url: str,
    idempotency_key: str,
    provider_name: str,
) -> Payment:
    with transaction.atomic():
        payment = _live_payment(order_number)
        if payment is None:
            try:
                with transaction.atomic():
                    return Payment.objects.create(
                        order_number=order_number,
                        buyer_id=buyer_id,
                        amount=amount,
                        currency=currency,
                        provider=provider_name,
                        return_url=return_url,
                        idempotency_key=idempotency_key,
                    )
            except IntegrityError:
                # A concurrent start won the one-live-payment constraint: use its payment.
                payment = _live_payment(order_number)
                if payment is None:
                    raise
    if (payment.buyer_id, payment.amount, payment.currency) != (buyer_id, amount, currency):
        raise Conflict(
            _("This order already has a payment for a different amount."),
            code=errors.PAYMENT_MISMATCH,
            field="amount",
        )
    return payment


def _open_at_provider(payment: Payment, provider: PaymentProvider, *, site_url: str) -> Payment:
    """Create the payment at the provider; a retry reuses the same provider idempotency key."""
    created = provider.create_payment(
        reference=str(payment.pk),
        description=f"Circlemart {payment.order_number}",
        amount=payment.amount,
        currency=payment.currency,
        return_url=links.provider_return_url(payment.pk, site_url=site_url),
        notify_url=links.notify_url(provider.name, site_url=site_url),
        idempotency_key=f"circlemart-payment-{payment.pk}",
    )
    # A QR code is shown on the shop's own page, which waits for the payment to land.
    redirect_url = created.redirect_url or links.qr_page_path(payment.pk)
    Payment.objects.filter(pk=payment.pk, provider_payment_id="").update(
        provider_payment_id=created.provider_payment_id,
        redirect_url=redirect_url,
        qr_code=created.qr_code,
        updated_at=clock.now(),
    )
    payment.refresh_from_db()
    if payment.status == PaymentStatus.CANCELLED:
        # The order was cancelled while we were at the provider: make the charge unpayable.
        _cancel_at_provider(payment)
        payment.refresh_from_db()
    return payment


def _chosen_provider(name: str, currency: str) -> PaymentProvider:
    offered = providers_for_currency(currency)
    if not offered:
        raise Conflict(
            _("Online payment is not available right now. Please try again later."),
            code=errors.NO_PAYMENT_PROVIDER,
            field="provider",
        )
    if not name:
        return offered[0]
    for provider in offered:
        if provider.name == name:
            return provider
    raise ValidationFailed(
        _("This payment method is not available for this order."),
        code=errors.UNKNOWN_PROVIDER,
        field="provider",
    )


def _withdraw_for_switch(payment: Payment) -> None:
    """The buyer chose another provider for an order whose payment is still open elsewhere."""
    now = clock.now()
    with transaction.atomic():
        withdrawn = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.CREATED).update(
            status=PaymentStatus.CANCELLED, closed_at=now, updated_at=now
        )
    if withdrawn and payment.provider_payment_id:
        _cancel_at_provider(payment)


def payment_start(
    *,
    order_number: str,
    buyer_id: int,
    amount: int,
    currency: str,
    return_url: str,
    idempotency_key: str,
    site_url: str = "",
    provider: str = "",
) -> PaymentView:
    """The order's live payment (created or captured) when it has one, else a new payment at
    the chosen provider (the first enabled one for the currency when `provider` is "").
    `redirect_url` of the answer is where the buyer pays: the provider's page, or the shop's
    page showing the provider's QR code. `site_url` is this site's origin as the buyer
    reached it ("https://shop.example.com"; "" for SITE_URL): the provider sends the buyer
    and its notifications there.

    At most one live payment exists per order (a partial unique constraint), so concurrent
    starts share one charge; a failed or cancelled payment does not block a new one, and an
    unpaid payment at another provider is withdrawn when the buyer switches.
    """
    order_number = _check_text(
        order_number, field="order_number", max_length=MAX_ORDER_NUMBER_LENGTH
    )
    idempotency_key = _check_text(
        idempotency_key, field="idempotency_key", max_length=MAX_REFERENCE_LENGTH
    )
    check_amount(amount)
    currency = check_currency(currency)
    check_return_url(return_url)
    chosen = _chosen_provider(provider, currency)
    for _attempt in range(3):
        payment = _live_payment_or_new(
            order_number=order_number,
            buyer_id=buyer_id,
            amount=amount,
            currency=currency,
            return_url=return_url,
            idempotency_key=idempotency_key,
            provider_name=chosen.name,
        )
        if not provider or payment.provider == chosen.name:
            break
        if payment.status != PaymentStatus.CREATED:
            break  # captured already: nothing to switch
        _withdraw_for_switch(payment)
    if payment.status == PaymentStatus.CREATED and not payment.provider_payment_id:
        payment = _open_at_provider(
            payment, provider_named(payment.provider), site_url=site_url or settings.SITE_URL
        )
    return payment_view(payment)


# --- Status changes (call inside transaction.atomic) ------------------------------------------


def _capture(payment_id: int) -> bool:
    """created→captured, or a late capture of a cancelled/failed payment; once, with its event."""
    now = clock.now()
    moved = Payment.objects.filter(pk=payment_id, status=PaymentStatus.CREATED).update(
        status=PaymentStatus.CAPTURED, captured_at=now, updated_at=now
    )
    if not moved:
        # Money was taken after we gave up on the payment: record it; orders refunds it.
        moved = Payment.objects.filter(
            pk=payment_id, status__in=[PaymentStatus.CANCELLED, PaymentStatus.FAILED]
        ).update(
            status=PaymentStatus.CAPTURED, is_late_capture=True, captured_at=now, updated_at=now
        )
    if not moved:
        return False
    payment = Payment.objects.get(pk=payment_id)
    publish(
        PaymentCaptured(
            payment_id=payment.pk,
            order_number=payment.order_number,
            amount=payment.amount,
            currency=payment.currency,
            provider=payment.provider,
        )
    )
    return True


def _fail(payment_id: int, *, reason: str) -> bool:
    """created→failed, once. A captured payment never goes back."""
    now = clock.now()
    moved = Payment.objects.filter(pk=payment_id, status=PaymentStatus.CREATED).update(
        status=PaymentStatus.FAILED, failure_reason=reason[:200], closed_at=now, updated_at=now
    )
    if not moved:
        return False
    order_number = Payment.objects.values_list("order_number", flat=True).get(pk=payment_id)
    publish(PaymentFailed(payment_id=payment_id, order_number=order_number, reason=reason[:200]))
    return True


def _apply_provider_status(payment_id: int, status: ProviderPaymentStatus, *, reason: str) -> str:
    if status == ProviderPaymentStatus.SUCCEEDED:
        return "captured" if _capture(payment_id) else "ignored"
    if status in (ProviderPaymentStatus.FAILED, ProviderPaymentStatus.CANCELLED):
        return "failed" if _fail(payment_id, reason=reason or status.value) else "ignored"
    return "ignored"


def payment_confirm_from_provider(*, payment_id: int) -> PaymentView:
    """Ask the provider how the payment stands (the buyer is back from its page) and apply
    it. Converges with the webhook: whichever comes second changes nothing."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(_("Payment not found."), code=errors.UNKNOWN_PAYMENT, field="payment_id")
    if payment.status == PaymentStatus.CAPTURED or not payment.provider_payment_id:
        return payment_view(payment)
    provider = provider_named(payment.provider)
    status = provider.fetch_status(provider_payment_id=payment.provider_payment_id)
    with transaction.atomic():
        _apply_provider_status(payment.pk, status, reason=f"provider says {status.value}")
    payment.refresh_from_db()
    return payment_view(payment)


# --- Webhooks ---------------------------------------------------------------------------------


def _payment_for_event(provider_name: str, event: WebhookEvent) -> Payment:
    payment = None
    if event.provider_payment_id:
        payment = Payment.objects.filter(
            provider=provider_name, provider_payment_id=event.provider_payment_id
        ).first()
    if payment is None and event.merchant_reference.isdigit():
        # Our own id, echoed back: covers an event racing our store of the provider's id.
        payment = Payment.objects.filter(
            pk=int(event.merchant_reference),
            provider=provider_name,
            provider_payment_id__in=["", event.provider_payment_id],
        ).first()
    if payment is None:
        raise NotFound(
            _("The webhook is about a payment this site does not know."),
            code=errors.UNKNOWN_PAYMENT,
            field="payment",
        )
    return payment


def _refund_for_event(provider_name: str, event: WebhookEvent) -> Refund:
    refund = None
    if event.provider_refund_id:
        refund = Refund.objects.filter(
            provider_refund_id=event.provider_refund_id, payment__provider=provider_name
        ).first()
    if refund is None and event.merchant_reference.isdigit():
        refund = Refund.objects.filter(
            pk=int(event.merchant_reference),
            payment__provider=provider_name,
            provider_refund_id__in=["", event.provider_refund_id],
        ).first()
        if refund is not None and not refund.provider_refund_id:
            Refund.objects.filter(pk=refund.pk, provider_refund_id="").update(
                provider_refund_id=event.provider_refund_id
            )
    if refund is None:
        raise NotFound(
            _("The webhook is about a refund this site does not know."),
            code=errors.UNKNOWN_REFUND,
            field="refund",
        )
    return refund


def _apply_event(provider_name: str, event: WebhookEvent) -> str:
    if event.event_type in PAYMENT_EVENTS:
        payment = _payment_for_event(provider_name, event)
        if event.event_type == WebhookEventType.PAYMENT_SUCCEEDED:
            return _apply_provider_status(payment.pk, ProviderPaymentStatus.SUCCEEDED, reason="")
        if event.event_type in (
            WebhookEventType.PAYMENT_FAILED,
            WebhookEventType.PAYMENT_CANCELLED,
        ):
            reason = event.reason or event.event_type.value
            return _apply_provider_status(payment.pk, ProviderPaymentStatus.FAILED, reason=reason)
        return "ignored"
    if event.event_type in REFUND_EVENTS:
        refund = _refund_for_event(provider_name, event)
        if event.event_type == WebhookEventType.REFUND_SUCCEEDED:
            return "refund_succeeded" if _refund_succeed(refund.pk) else "ignored"
        reason = event.reason or "refund failed at the provider"
        return "refund_failed" if _refund_fail(refund.pk, reason=reason) else "ignored"
    return "ignored"


def _stored_payload(body: bytes) -> dict[str, Any]:
    """The notification as received, for staff: JSON as is, a form (Alipay) as its fields."""
    try:
        payload = json.loads(body)
    except ValueError:
        fields = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return {name: value for name, value in fields if name not in {"sign", "sign_type"}}
    return payload if isinstance(payload, dict) else {"body": payload}


def payment_answer_webhook(*, provider: str, headers: Mapping[str, str], body: bytes) -> WebhookAck:
    """Apply a provider notification (payment_handle_webhook) and give the answer that
    provider expects: its success acknowledgement, or an error that makes it retry later
    (unknown payment) or stop (forged or malformed). An unknown provider is a plain 404."""
    provider_impl = provider_named(provider)
    try:
        payment_handle_webhook(provider=provider, headers=headers, body=body)
    except DomainError as exc:
        logger.warning(
            "payment webhook refused",
            extra={"provider": provider, "code": exc.code, "status": exc.status},
        )
        return provider_impl.acknowledge_webhook(error=exc)
    return provider_impl.acknowledge_webhook(error=None)


def payment_handle_webhook(*, provider: str, headers: Mapping[str, str], body: bytes) -> None:
    """Verify a provider webhook and apply it once.

    Bad signature, stale timestamp, unreadable body: WebhookRejected (400). A replayed event id
    is ignored (its receipt exists). Stale or out-of-order events change nothing, because every
    move is conditional on the current status. An event about an unknown payment raises
    NotFound and stores nothing, so the provider retries it later.
    """
    provider_impl = provider_named(provider)
    event = provider_impl.verify_webhook(headers=headers, body=body)
    with transaction.atomic():
        try:
            with transaction.atomic():
                receipt = WebhookReceipt.objects.create(
                    provider=provider_impl.name,
                    provider_event_id=event.event_id,
                    event_type=event.event_type.value,
                    payload=_stored_payload(body),
                )
        except IntegrityError:
            logger.info(
                "payment webhook replayed",
                extra={"provider": provider_impl.name, "event_id": event.event_id},
            )
            return
        outcome = _apply_event(provider_impl.name, event)
        WebhookReceipt.objects.filter(pk=receipt.pk).update(outcome=outcome)


# --- Refunds ----------------------------------------------------------------------------------


def _refund_succeed(refund_id: int) -> bool:
    now = clock.now()
    moved = Refund.objects.filter(pk=refund_id, status=RefundStatus.PENDING).update(
        status=RefundStatus.SUCCEEDED, completed_at=now, updated_at=now
    )
    if not moved:
        return False
    refund = Refund.objects.get(pk=refund_id)
    publish(
        RefundSucceeded(
            refund_id=refund.pk,
            order_number=refund.order_number,
            amount=refund.amount,
            currency=refund.currency,
            reference=refund.reference,
        )
    )
    return True


def _refund_fail(refund_id: int, *, reason: str) -> bool:
    """pending→failed once, releasing the amount it had reserved on the payment."""
    now = clock.now()
    moved = Refund.objects.filter(pk=refund_id, status=RefundStatus.PENDING).update(
        status=RefundStatus.FAILED, failure_reason=reason[:200], completed_at=now, updated_at=now
    )
    if not moved:
        return False
    refund = Refund.objects.get(pk=refund_id)
    Payment.objects.filter(pk=refund.payment_id).update(
        refunded_amount=F("refunded_amount") - refund.amount, updated_at=now
    )
    publish(
        RefundFailed(
            refund_id=refund.pk,
            order_number=refund.order_number,
            amount=refund.amount,
            reference=refund.reference,
            reason=reason[:200],
        )
    )
    return True


def _reserve(payment_id: int, amount: int) -> bool:
    """Take `amount` off what is left to refund, in one guarded UPDATE."""
    return bool(
        Payment.objects.filter(
            pk=payment_id,
            status=PaymentStatus.CAPTURED,
            refunded_amount__lte=F("amount") - amount,
        ).update(refunded_amount=F("refunded_amount") + amount, updated_at=clock.now())
    )


def _same_refund(refund: Refund, *, amount: int) -> RefundView:
    if refund.amount != amount:
        raise Conflict(
            _("This refund reference was already used for a different amount."),
            code=errors.REFUND_REFERENCE_REUSED,
            field="reference",
        )
    return refund_view(refund)


def _create_reserved_refund(
    *, order_number: str, amount: int, reason: str, reference: str, payment_id: int | None
) -> Refund:
    candidates = Payment.objects.filter(order_number=order_number, status=PaymentStatus.CAPTURED)
    if payment_id is not None:
        candidates = candidates.filter(pk=payment_id)
    # Late captures first: they are the money an order did not need.
    ordered = list(candidates.order_by("-is_late_capture", "id"))
    if not ordered:
        raise Conflict(
            _("This order has no captured payment to refund."),
            code=errors.NOT_CAPTURED,
            field="amount",
        )
    with transaction.atomic():
        # The row first: a concurrent retry with this reference waits here, then finds it.
        refund = Refund.objects.create(
            payment=ordered[0],
            order_number=order_number,
            amount=amount,
            currency=ordered[0].currency,
            reason=reason,
            reference=reference,
        )
        for payment in ordered:
            if _reserve(payment.pk, amount):
                if payment.pk != refund.payment_id:
                    Refund.objects.filter(pk=refund.pk).update(
                        payment=payment, currency=payment.currency
                    )
                    refund.payment = payment
                    refund.currency = payment.currency
                return refund
        raise Conflict(
            _("The refund is larger than what is left to refund on this order."),
            code=errors.REFUND_EXCEEDS_CAPTURED,
            field="amount",
        )


def _submit_refund(refund_id: int) -> Refund:
    """Send a reserved refund to the provider (idempotent there by the refund's own key)."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING or refund.provider_refund_id:
        return refund
    Refund.objects.filter(pk=refund.pk).update(submit_attempts=F("submit_attempts") + 1)
    provider = provider_named(refund.payment.provider)
    try:
        result = provider.refund(
            provider_payment_id=refund.payment.provider_payment_id,
            amount=refund.amount,
            currency=refund.currency,
            reason=refund.reason,
            reference=str(refund.pk),
            notify_url=links.notify_url(refund.payment.provider, site_url=settings.SITE_URL),
            idempotency_key=f"circlemart-refund-{refund.pk}",
        )
    except RefundRejected as exc:
        # The stored reason is the provider's stable code, not a message in someone's language.
        with transaction.atomic():
            _refund_fail(refund.pk, reason=f"rejected by the provider: {exc.code}")
        refund.refresh_from_db()
        return refund
    except ProviderUnavailable:
        logger.warning("refund not submitted; will retry", extra={"refund_id": refund.pk})
        refund.refresh_from_db()
        return refund
    with transaction.atomic():
        Refund.objects.filter(pk=refund.pk, provider_refund_id="").update(
            provider_refund_id=result.provider_refund_id, updated_at=clock.now()
        )
        _apply_provider_refund(refund.pk, result)
    refund.refresh_from_db()
    return refund


def payment_refund(
    *,
    order_number: str,
    amount: int,
    reason: str,
    reference: str,
    payment_id: int | None = None,
) -> RefundView:
    """Refund `amount` of the order's captured money; idempotent by (order, reference).

    Refuses amount <= 0 (ValidationFailed) and more than captured minus refunded minus pending
    (Conflict `refund_exceeds_captured`, field "amount"), changing nothing. The answer is
    usually PENDING: RefundSucceeded / RefundFailed follow once the provider confirms. A
    reference already used returns that refund, whatever its status. `payment_id` pins the
    refund to one payment (e.g. giving back a duplicate capture).
    """
    reference = _check_text(
        reference, field="reference", max_length=MAX_REFERENCE_LENGTH, code=errors.INVALID_REFERENCE
    )
    existing = Refund.objects.filter(order_number=order_number, reference=reference).first()
    if existing is not None:
        return _same_refund(existing, amount=amount)
    check_amount(amount)
    try:
        refund = _create_reserved_refund(
            order_number=order_number,
            amount=amount,
            reason=(reason or "")[:200],
            reference=reference,
            payment_id=payment_id,
        )
    except IntegrityError:
        existing = Refund.objects.filter(order_number=order_number, reference=reference).first()
        if existing is None:
            raise
        return _same_refund(existing, amount=amount)
    return refund_view(_submit_refund(refund.pk))


def refunds_resubmit_stuck(*, older_than: timedelta, limit: int = 100) -> int:
    """Send again the pending refunds the provider never acknowledged (it was down, or the
    process died between reserving and submitting). Returns how many were acknowledged."""
    cutoff = clock.now() - older_than
    ids = list(
        Refund.objects.filter(
            status=RefundStatus.PENDING, provider_refund_id="", created_at__lt=cutoff
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    acknowledged = 0
    for refund_id in ids:
        try:
            refund = _submit_refund(refund_id)
        except DomainError:  # e.g. its provider is no longer configured: leave it for staff
            logger.exception("refund resubmission failed", extra={"refund_id": refund_id})
            continue
        acknowledged += bool(refund.provider_refund_id) or refund.status != RefundStatus.PENDING
    return acknowledged


# --- Reconciling ------------------------------------------------------------------------------


def _reconcile_payment(payment: Payment) -> str:
    provider = provider_named(payment.provider)
    status = provider.fetch_status(provider_payment_id=payment.provider_payment_id)
    if status == ProviderPaymentStatus.PENDING:
        return "pending"
    with transaction.atomic():
        return _apply_provider_status(payment.pk, status, reason=f"provider says {status.value}")


def _apply_provider_refund(refund_id: int, result: ProviderRefund) -> str:
    with transaction.atomic():
        if result.status == ProviderRefundStatus.SUCCEEDED:
            return "refund_succeeded" if _refund_succeed(refund_id) else "refund_unchanged"
        if result.status == ProviderRefundStatus.FAILED:
            failed = _refund_fail(refund_id, reason="refused by the provider")
            return "refund_failed" if failed else "refund_unchanged"
    return "pending"


def _reconcile_refund(refund: Refund) -> str:
    provider = provider_named(refund.payment.provider)
    result = provider.fetch_refund(
        provider_payment_id=refund.payment.provider_payment_id,
        provider_refund_id=refund.provider_refund_id,
        reference=str(refund.pk),
    )
    return _apply_provider_refund(refund.pk, result)


def payments_reconcile(*, older_than: timedelta, limit: int = 200) -> dict[str, int]:
    """Ask the providers about payments and acknowledged refunds still pending after
    `older_than` (their notification was lost, or never sent), and apply the answers. Returns
    how many moved, by outcome. A provider that does not answer is asked again next time."""
    cutoff = clock.now() - older_than
    outcomes: dict[str, int] = {}
    payments = Payment.objects.filter(status=PaymentStatus.CREATED, created_at__lt=cutoff).exclude(
        provider_payment_id=""
    )
    refunds = (
        Refund.objects.filter(status=RefundStatus.PENDING, created_at__lt=cutoff)
        .exclude(provider_refund_id="")
        .select_related("payment")
    )
    work: list[tuple[Any, Any]] = [(_reconcile_payment, row) for row in payments[:limit]]
    work += [(_reconcile_refund, row) for row in refunds[:limit]]
    for reconcile, row in work:
        try:
            outcome = reconcile(row)
        except (ProviderUnavailable, NotFound):
            outcome = "unanswered"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


# --- Cancelling -------------------------------------------------------------------------------


def _cancel_at_provider(payment: Payment) -> None:
    provider = provider_named(payment.provider)
    try:
        status = provider.cancel_payment(provider_payment_id=payment.provider_payment_id)
    except ProviderUnavailable:
        # It may still be paid; the capture would arrive as a late capture and be refunded.
        logger.warning("payment not cancelled at provider", extra={"payment_id": payment.pk})
        return
    if status == ProviderPaymentStatus.SUCCEEDED:  # the buyer paid first
        with transaction.atomic():
            _capture(payment.pk)


def payment_cancel_for_order(*, order_number: str) -> PaymentView | None:
    """Withdraw the order's unpaid payment so it can no longer be paid; None when there is
    none. When the buyer paid first, the capture is recorded (late) and PaymentCaptured
    published: the money was taken and must be refunded by the caller."""
    payment = Payment.objects.filter(
        order_number=order_number, status=PaymentStatus.CREATED, is_late_capture=False
    ).first()
    if payment is None:
        return None
    now = clock.now()
    with transaction.atomic():
        cancelled = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.CREATED).update(
            status=PaymentStatus.CANCELLED, closed_at=now, updated_at=now
        )
    if cancelled and payment.provider_payment_id:
        _cancel_at_provider(payment)
    payment.refresh_from_db()
    return payment_view(payment)


# --- Payouts (money out: distributors' withdrawals) ----------------------------------------------


def payout_provider() -> PayoutProvider:
    """The first enabled provider that can pay out (PAYMENT_PROVIDERS order)."""
    for provider in usable_providers():
        if isinstance(provider, PayoutProvider):
            return provider
    raise ProviderUnavailable(_("No enabled payment provider can send payouts."))


def payout_send(
    *, reference: str, payee: str, amount: int, currency: str, idempotency_key: str
) -> PayoutResult:
    """Send `amount` to `payee` through the payout provider, outside any transaction of ours
    (the caller records the outcome). Idempotent by key at the provider: calling again after
    a crash answers with the first payout. PENDING when the provider did not answer or has
    not decided: ask again later with the same key."""
    check_amount(amount)
    currency = check_currency(currency)
    reference = _check_text(reference, field="reference", max_length=MAX_REFERENCE_LENGTH)
    if not payee or not idempotency_key or len(idempotency_key) > 128:
        raise ValidationFailed(_("A payout needs a payee and a key."), field="payee")
    provider = payout_provider()
    try:
        result = provider.send_payout(
            reference=reference,
            payee=payee,
            amount=amount,
            currency=currency,
            idempotency_key=idempotency_key,
        )
    except ProviderUnavailable as silence:
        logger.warning("payout %s: provider unavailable: %s", reference, silence)
        return PayoutResult(
            provider=provider.name, provider_payout_id="", status=PayoutStatus.PENDING
        )
    except DomainError as refusal:
        return PayoutResult(
            provider=provider.name,
            provider_payout_id="",
            status=PayoutStatus.FAILED,
            failure_reason=str(refusal.message)[:200],
        )
    return PayoutResult(
        provider=provider.name,
        provider_payout_id=result.provider_payout_id,
        status=PayoutStatus(result.status.value),
        failure_reason=result.failure_reason,
    )
