"""Stripe behind the payment provider port: cards (and whatever else the Dashboard turns on)
through Stripe Checkout, with Stripe's signed webhooks.

Built on the stripe SDK's StripeClient: one client per provider instance, carrying its own key,
API base (STRIPE_API_BASE: tests point it at a local fake), timeouts and retries, never the
SDK's module globals (shared by every thread and test). Notifications are not per request at
Stripe: the endpoint <site>/payments/webhooks/stripe/ is registered once in the Dashboard (or
with `stripe listen --forward-to`), so `notify_url` is not sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import stripe as stripe_sdk
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import JsonResponse
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict, DomainError, ValidationFailed
from circlemart.core.money import minor_unit_exponent
from circlemart.payments.providers.base import (
    BAD_SIGNATURE,
    STALE_WEBHOOK,
    CreatedPayment,
    ProviderPaymentStatus,
    ProviderRefund,
    ProviderRefundStatus,
    ProviderUnavailable,
    RefundRejected,
    WebhookAck,
    WebhookEvent,
    WebhookEventType,
    WebhookRejected,
)
from circlemart.payments.providers.credentials import secret_setting

if TYPE_CHECKING:
    from stripe.params import RefundCreateParams
    from stripe.params.checkout import SessionCreateParams, SessionRetrieveParams

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

SIGNATURE_HEADER = "stripe-signature"
# Our payment or refund id, in the metadata of every session, payment intent and refund we
# create. Namespaced: a Stripe account is often shared with other integrations, whose events
# reach this endpoint too and are acknowledged as not ours.
REFERENCE_KEY = "circlemart_reference"
REASON_KEY = "circlemart_reason"
METADATA_VALUE_LIMIT = 500  # characters, Stripe's limit on a metadata value

# Stripe lets a Checkout Session live from 30 minutes to 24 hours; a minute's margin on each
# side absorbs the latency and clock skew between us and Stripe.
SESSION_MIN_LIFETIME = timedelta(minutes=31)
SESSION_MAX_LIFETIME = timedelta(hours=24) - timedelta(minutes=1)

# Stripe's exponents, where they differ from two (docs.stripe.com/currencies): amounts of a
# zero-decimal currency are whole units, of a three-decimal one thousandths whose last digit
# must be 0. ISK is two-decimal in Stripe's API but only whole krónur may be charged.
STRIPE_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905
)
STRIPE_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
STRIPE_AMOUNT_STEP = {"ISK": 100, **dict.fromkeys(STRIPE_THREE_DECIMAL, 10)}

_REFUND_STATUSES = {
    "pending": ProviderRefundStatus.PENDING,
    "requires_action": ProviderRefundStatus.PENDING,
    "succeeded": ProviderRefundStatus.SUCCEEDED,
    "failed": ProviderRefundStatus.FAILED,
    "canceled": ProviderRefundStatus.FAILED,
}
_REFUND_OUTCOMES = {
    ProviderRefundStatus.SUCCEEDED: WebhookEventType.REFUND_SUCCEEDED,
    ProviderRefundStatus.FAILED: WebhookEventType.REFUND_FAILED,
}
_SESSION_EVENTS = {
    "checkout.session.async_payment_succeeded": WebhookEventType.PAYMENT_SUCCEEDED,
    "checkout.session.async_payment_failed": WebhookEventType.PAYMENT_FAILED,
    "checkout.session.expired": WebhookEventType.PAYMENT_CANCELLED,
}
_REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "charge.refund.updated"})
# A payment intent left in these after its session completed will not be paid any more.
_FAILED_INTENT_STATUSES = frozenset({"canceled", "requires_payment_method"})


def stripe_exponent(currency: str) -> int:
    if currency in STRIPE_ZERO_DECIMAL:
        return 0
    return 3 if currency in STRIPE_THREE_DECIMAL else 2


def stripe_amount(amount: int, currency: str) -> int:
    """Our integer minor units (ISO 4217 digits, as core.money counts them) in the unit Stripe
    expects for `currency`, exactly; refuses amounts Stripe cannot charge (ValidationFailed)."""
    ours, theirs = minor_unit_exponent(currency), stripe_exponent(currency)
    if theirs >= ours:
        converted = amount * 10 ** (theirs - ours)
    else:
        converted, remainder = divmod(amount, 10 ** (ours - theirs))
        if remainder:
            converted = -1
    if converted <= 0 or converted % STRIPE_AMOUNT_STEP.get(currency, 1):
        raise ValidationFailed(
            _("This amount cannot be charged in this currency by card."),
            code="amount_not_chargeable",
            field="amount",
        )
    return converted


def _api_base(value: str) -> str:
    parts = urlsplit(value)
    is_loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if not parts.netloc or parts.path.strip("/") or parts.query:
        raise ImproperlyConfigured(
            f"STRIPE_API_BASE must be an origin such as https://api.stripe.com, not {value!r}."
        )
    # The secret key travels in every request: plain HTTP only to a fake on this machine.
    if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback):
        raise ImproperlyConfigured("STRIPE_API_BASE must use https (http only for 127.0.0.1).")
    return f"{parts.scheme}://{parts.netloc}"


def _currencies(values: list[str]) -> frozenset[str]:
    codes = frozenset(str(value).strip().upper() for value in values)
    bad = sorted(code for code in codes if len(code) != 3 or not code.isalpha())
    if bad:
        raise ImproperlyConfigured(f"STRIPE_CURRENCIES holds non-ISO 4217 codes: {bad}.")
    return codes


def _positive(name: str) -> float:
    value = float(getattr(settings, name))
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive number of seconds.")
    return value


def _unavailable(exc: stripe_sdk.StripeError) -> ProviderUnavailable:
    logger.warning(
        "stripe call failed",
        extra={
            "stripe_error": type(exc).__name__,
            "http_status": exc.http_status,
            "stripe_code": exc.code,
            "request_id": exc.request_id,
        },
    )
    return ProviderUnavailable(_("The card payment service did not answer. Please try later."))


def _call(request: Callable[[], Result]) -> Result:
    """One SDK call: network errors, 5xx, rate limits, bad keys and unknown ids are all worth
    asking again (after a fix, for the last two) — ProviderUnavailable."""
    try:
        return request()
    except stripe_sdk.StripeError as exc:
        raise _unavailable(exc) from exc


def _intent_id(session: stripe_sdk.checkout.Session) -> str:
    intent = session.payment_intent
    if isinstance(intent, stripe_sdk.PaymentIntent):
        return intent.id
    return intent or ""


def _session_status(session: stripe_sdk.checkout.Session) -> ProviderPaymentStatus:
    if session.status == "expired":
        return ProviderPaymentStatus.CANCELLED
    if session.status != "complete":
        return ProviderPaymentStatus.PENDING
    if session.payment_status == "paid":
        return ProviderPaymentStatus.SUCCEEDED
    # Completed but unpaid: a delayed method (bank debit…) is still settling, unless its
    # payment intent already gave up.
    intent = session.payment_intent  # expanded by fetch_status
    if isinstance(intent, stripe_sdk.PaymentIntent) and intent.status in _FAILED_INTENT_STATUSES:
        return ProviderPaymentStatus.FAILED
    return ProviderPaymentStatus.PENDING


def _metadata_value(metadata: stripe_sdk.StripeObject | None, key: str) -> str:
    # A StripeObject is not a dict: it has `in` and [] but no .get().
    value = metadata[key] if metadata is not None and key in metadata else None
    return value if isinstance(value, str) else ""


def _refund_result(refund: stripe_sdk.Refund) -> ProviderRefund:
    status = _REFUND_STATUSES.get(refund.status or "", ProviderRefundStatus.PENDING)
    return ProviderRefund(provider_refund_id=refund.id, status=status)


class StripeProvider:
    name: ClassVar[str] = "stripe"

    def __init__(self) -> None:
        secret_key = secret_setting("STRIPE_SECRET_KEY", provider="Stripe")
        if not secret_key.startswith(("sk_", "rk_")):
            raise ImproperlyConfigured(
                "STRIPE_SECRET_KEY (or STRIPE_SECRET_KEY_FILE) must hold a Stripe secret key "
                "(sk_live_…, or sk_test_… in test mode) or a restricted key (rk_…)."
            )
        self._webhook_secret = secret_setting("STRIPE_WEBHOOK_SECRET", provider="Stripe")
        if not self._webhook_secret.startswith("whsec_"):
            raise ImproperlyConfigured(
                "STRIPE_WEBHOOK_SECRET (or STRIPE_WEBHOOK_SECRET_FILE) must hold the signing "
                "secret (whsec_…) of the webhook endpoint <site>/payments/webhooks/stripe/."
            )
        self._currencies = _currencies(list(settings.STRIPE_CURRENCIES))
        timeout = (
            _positive("STRIPE_CONNECT_TIMEOUT_SECONDS"),
            _positive("STRIPE_TIMEOUT_SECONDS"),
        )
        retries = int(settings.STRIPE_MAX_NETWORK_RETRIES)
        if retries < 0:
            raise ImproperlyConfigured("STRIPE_MAX_NETWORK_RETRIES must be 0 or more.")
        self._client = stripe_sdk.StripeClient(
            secret_key,
            base_addresses={"api": _api_base(str(settings.STRIPE_API_BASE))},
            max_network_retries=retries,
            http_client=stripe_sdk.RequestsClient(timeout=timeout),
        )

    def supports_currency(self, currency: str) -> bool:
        return currency.upper() in self._currencies

    # --- Payments -----------------------------------------------------------------------------

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
        currency = currency.upper()
        if not self.supports_currency(currency):
            raise ValidationFailed(
                _("Card payments are not available in this currency."),
                code="unsupported_currency",
                field="currency",
            )
        window = timedelta(minutes=int(settings.ORDER_PAYMENT_WINDOW_MINUTES))
        lifetime = min(max(window, SESSION_MIN_LIFETIME), SESSION_MAX_LIFETIME)
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": stripe_amount(amount, currency),
                        "product_data": {"name": description[:250]},
                    },
                }
            ],
            "client_reference_id": reference,
            "metadata": {REFERENCE_KEY: reference},
            "payment_intent_data": {"metadata": {REFERENCE_KEY: reference}},
            "success_url": return_url,
            "cancel_url": return_url,
            "expires_at": int((clock.now() + lifetime).timestamp()),
        }
        session = self._create_session(params, idempotency_key=idempotency_key)
        if not session.url:  # only sessions of ui_mode "embedded" have none
            logger.error("stripe checkout session without a url", extra={"session": session.id})
            raise ProviderUnavailable(
                _("The card payment service did not answer. Please try later.")
            )
        return CreatedPayment(provider_payment_id=session.id, redirect_url=session.url)

    def _create_session(
        self, params: SessionCreateParams, *, idempotency_key: str
    ) -> stripe_sdk.checkout.Session:
        sessions = self._client.v1.checkout.sessions
        try:
            try:
                return sessions.create(params, {"idempotency_key": idempotency_key})
            except stripe_sdk.IdempotencyError:
                # Stripe refuses a key reused with other parameters, and ours move between
                # attempts (the expiry with the clock, the return URL with the host the buyer
                # came by). The earlier attempt's answer never reached us, so its session, if
                # any, was shown to no one and expires unpaid: open one keyed by these params.
                fingerprint = json.dumps(params, sort_keys=True).encode()
                derived_key = f"{idempotency_key}-{hashlib.sha256(fingerprint).hexdigest()[:16]}"
                return sessions.create(params, {"idempotency_key": derived_key})
        except stripe_sdk.InvalidRequestError as exc:
            # A final no (amount below Stripe's minimum, currency not enabled on the account…).
            logger.warning(
                "stripe refused a checkout session",
                extra={"stripe_code": exc.code, "param": exc.param, "request_id": exc.request_id},
            )
            raise Conflict(
                _("The card payment service refused this payment."),
                code="payment_refused_by_provider",
                field="provider",
            ) from exc
        except stripe_sdk.StripeError as exc:
            raise _unavailable(exc) from exc

    def _session(self, session_id: str, *, expand_intent: bool) -> stripe_sdk.checkout.Session:
        params: SessionRetrieveParams = {"expand": ["payment_intent"]} if expand_intent else {}
        return _call(lambda: self._client.v1.checkout.sessions.retrieve(session_id, params))

    def fetch_status(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        return _session_status(self._session(provider_payment_id, expand_intent=True))

    def cancel_payment(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        try:
            session = self._client.v1.checkout.sessions.expire(provider_payment_id)
        except stripe_sdk.InvalidRequestError as exc:
            if exc.http_status == 404:
                raise _unavailable(exc) from exc
            # Only an open session can be expired: this one was completed (or expired) first.
            return self.fetch_status(provider_payment_id=provider_payment_id)
        except stripe_sdk.StripeError as exc:
            raise _unavailable(exc) from exc
        return _session_status(session)

    # --- Refunds ------------------------------------------------------------------------------

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
        session = self._session(provider_payment_id, expand_intent=False)
        if (session.currency or "").upper() != currency.upper():
            raise RefundRejected(
                _("The refund currency differs from the payment's."), code="currency_mismatch"
            )
        intent_id = _intent_id(session)
        if session.payment_status != "paid" or not intent_id:
            raise RefundRejected(_("This card payment has not been paid."), code="not_paid")
        try:
            refund_amount = stripe_amount(amount, currency.upper())
        except ValidationFailed as exc:
            raise RefundRejected(exc.message, code=exc.code) from exc
        # Stripe's own `reason` takes three fixed values; ours goes into the metadata.
        params: RefundCreateParams = {
            "payment_intent": intent_id,
            "amount": refund_amount,
            "metadata": {REFERENCE_KEY: reference, REASON_KEY: reason[:METADATA_VALUE_LIMIT]},
        }
        try:
            refund = self._client.v1.refunds.create(params, {"idempotency_key": idempotency_key})
        except (stripe_sdk.InvalidRequestError, stripe_sdk.IdempotencyError) as exc:
            # charge_already_refunded, amount_too_large, charge_disputed…: final answers.
            fallback = "idempotency_error" if isinstance(exc, stripe_sdk.IdempotencyError) else ""
            raise RefundRejected(
                _("The card payment service refused the refund."),
                code=exc.code or fallback or "invalid_request",
            ) from exc
        except stripe_sdk.StripeError as exc:
            raise _unavailable(exc) from exc
        return _refund_result(refund)

    def fetch_refund(
        self, *, provider_payment_id: str, provider_refund_id: str, reference: str
    ) -> ProviderRefund:
        refund = _call(lambda: self._client.v1.refunds.retrieve(provider_refund_id))
        if _metadata_value(refund.metadata, REFERENCE_KEY) != reference:
            raise ProviderUnavailable(_("The card payment service does not know this refund."))
        return _refund_result(refund)

    # --- Webhooks -----------------------------------------------------------------------------

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """Stripe-Signature: `t=<unix time>,v1=<hex>[,v1=<hex>…]`, each v1 an HMAC-SHA256 of
        "<t>.<raw body>" under the endpoint's secret (several while a secret is rolled)."""
        lowered = {name.lower(): value for name, value in headers.items()}
        header = lowered.get(SIGNATURE_HEADER, "")
        try:
            # Age is checked below, against our clock, in both directions.
            stripe_sdk.WebhookSignature.verify_header(
                body, header, self._webhook_secret, tolerance=None
            )
        except (stripe_sdk.SignatureVerificationError, UnicodeDecodeError) as exc:
            raise WebhookRejected(BAD_SIGNATURE, code="bad_signature", field="signature") from exc
        signed_at = _signed_timestamp(header)
        if abs(clock.now().timestamp() - signed_at) > settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRejected(STALE_WEBHOOK, code="stale_webhook", field="signature")
        return _event_from_body(body)

    def acknowledge_webhook(self, *, error: DomainError | None) -> WebhookAck:
        """Stripe wants a quick 2xx; anything else is retried for days (in live mode), which
        is what an event about a payment we have not stored yet needs."""
        if error is None:
            return WebhookAck(status=200, body=JsonResponse({"received": True}).content)
        return WebhookAck(
            status=error.status, body=JsonResponse({"error": error.as_dict()}).content
        )


def _signed_timestamp(header: str) -> int:
    """The `t=` of a header the SDK has just verified (so it is there and an integer)."""
    for item in header.split(","):
        key, _sep, value = item.partition("=")
        if key.strip() == "t":
            return int(value)
    raise WebhookRejected(BAD_SIGNATURE, code="bad_signature", field="signature")


def _malformed() -> WebhookRejected:
    return WebhookRejected(
        _("The webhook body is not a readable event."), code="malformed_webhook", field="body"
    )


def _event_from_body(body: bytes) -> WebhookEvent:
    try:
        payload = json.loads(body)
        event_id, stripe_type = str(payload["id"]), str(payload["type"])
        occurred_at = datetime.fromtimestamp(int(payload["created"]), tz=UTC)
        data_object = payload["data"]["object"]
    except (ValueError, KeyError, TypeError, OverflowError, OSError) as exc:
        raise _malformed() from exc
    if not isinstance(data_object, dict) or not event_id:
        raise _malformed()
    event = WebhookEvent(
        event_id=event_id, event_type=WebhookEventType.OTHER, occurred_at=occurred_at
    )
    metadata = data_object.get("metadata")
    reference = metadata.get(REFERENCE_KEY) if isinstance(metadata, dict) else None
    if not isinstance(reference, str) or not reference:
        return event  # not one of ours (another integration on the same account)
    object_id = str(data_object.get("id") or "")
    if stripe_type.startswith("checkout.session.") and object_id:
        return WebhookEvent(
            event_id=event_id,
            event_type=_session_event_type(stripe_type, data_object),
            occurred_at=occurred_at,
            provider_payment_id=object_id,
            merchant_reference=reference,
            reason=stripe_type,
        )
    if stripe_type in _REFUND_EVENTS and object_id:
        status = _REFUND_STATUSES.get(str(data_object.get("status")), ProviderRefundStatus.PENDING)
        failure = data_object.get("failure_reason") or data_object.get("status") or ""
        return WebhookEvent(
            event_id=event_id,
            event_type=_REFUND_OUTCOMES.get(status, WebhookEventType.OTHER),  # pending: OTHER
            occurred_at=occurred_at,
            provider_refund_id=object_id,
            merchant_reference=reference,
            reason=f"stripe refund {failure}"[:200],
        )
    return event


def _session_event_type(stripe_type: str, session: dict[str, Any]) -> WebhookEventType:
    if stripe_type == "checkout.session.completed":
        payment_status = session.get("payment_status")
        if payment_status == "paid":
            return WebhookEventType.PAYMENT_SUCCEEDED
        if payment_status == "unpaid":  # a delayed method: async_payment_* follows
            return WebhookEventType.PAYMENT_PROCESSING
        return WebhookEventType.OTHER
    return _SESSION_EVENTS.get(stripe_type, WebhookEventType.OTHER)
