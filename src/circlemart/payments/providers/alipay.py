"""The app's adapter for Alipay (OpenAPI v2 gateway, RSA2 = SHA256withRSA) behind the
PaymentProvider port: page/WAP pay, trade query, close, refund and refund query through
python-alipay-sdk, and Alipay's asynchronous notifications (form posts signed by Alipay).

Identifiers: `out_trade_no` (ALIPAY_TRADE_PREFIX + our payment id) is the provider payment id,
because Alipay's own `trade_no` exists only once the buyer has paid; a refund is known by its
`out_request_no` (the refund's idempotency key), unique within its trade.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import logging
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import parse_qsl

from alipay import AliPay  # type: ignore[import-untyped]
from alipay.exceptions import (  # type: ignore[import-untyped]
    AliPayException,
    AliPayValidationError,
)
from alipay.utils import AliPayConfig  # type: ignore[import-untyped]
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import DomainError, ValidationFailed
from circlemart.payments.providers.base import (
    BAD_SIGNATURE,
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

logger = logging.getLogger(__name__)

PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
SANDBOX_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
# Alipay reads and writes its times ("yyyy-MM-dd HH:mm:ss") in Beijing time, which has no DST.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

CURRENCY = "CNY"
# total_amount is 0.01 … 100,000,000.00 yuan.
MAX_AMOUNT_FEN = 100_000_000_00
SUCCESS_CODE = "10000"
BUSINESS_FAILED_CODE = "40004"
TRADE_NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
TRADE_STATUS_ERROR = "ACQ.TRADE_STATUS_ERROR"
# Refund answers that are not final: Alipay asks to send the same request again later (after
# its own fault, or once the merchant account holds enough money to refund).
RETRYABLE_REFUND_FAILURES = frozenset({"ACQ.SYSTEM_ERROR", "ACQ.SELLER_BALANCE_NOT_ENOUGH"})
# time_expire accepts 1 minute … 15 days from now.
MIN_WINDOW_MINUTES = 1
MAX_WINDOW_MINUTES = 15 * 24 * 60
# out_trade_no: at most 64 letters, digits and underscores.
OUT_TRADE_NO = re.compile(r"[A-Za-z0-9_]{1,64}")
TRADE_PREFIX = re.compile(r"[A-Za-z0-9_]{0,32}")
MAX_OUT_REQUEST_NO = 64
MAX_EVENT_ID = 100
SUBJECT_FORBIDDEN = re.compile(r"[/=&]")  # "no special characters such as / = &"

PRODUCTS = {
    "page": ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"),
    "wap": ("alipay.trade.wap.pay", "QUICK_WAP_WAY"),
}
TRADE_STATUSES = {
    "WAIT_BUYER_PAY": ProviderPaymentStatus.PENDING,
    "TRADE_SUCCESS": ProviderPaymentStatus.SUCCEEDED,
    "TRADE_FINISHED": ProviderPaymentStatus.SUCCEEDED,
    # Closed unpaid (timed out, or by alipay.trade.close) — or fully refunded, which the
    # refunds record; a closed trade is never a reason to capture.
    "TRADE_CLOSED": ProviderPaymentStatus.CANCELLED,
}
NOTIFICATION_EVENTS = {
    "WAIT_BUYER_PAY": WebhookEventType.PAYMENT_PROCESSING,
    "TRADE_SUCCESS": WebhookEventType.PAYMENT_SUCCEEDED,
    "TRADE_FINISHED": WebhookEventType.PAYMENT_SUCCEEDED,
    "TRADE_CLOSED": WebhookEventType.PAYMENT_CANCELLED,
}
REFUND_STATUSES = {
    "": ProviderRefundStatus.SUCCEEDED,  # "data returned and refund_status empty: refunded"
    "REFUND_SUCCESS": ProviderRefundStatus.SUCCEEDED,
    "REFUND_PROCESSING": ProviderRefundStatus.PENDING,
    "REFUND_FAIL": ProviderRefundStatus.FAILED,
}


# --- Settings ---------------------------------------------------------------------------------


def _key_text(setting: str) -> str:
    """The PEM (or bare base64) text of a key given inline in `setting` or in `setting`_FILE."""
    text = secret_setting(setting, provider="Alipay")
    if not text:
        raise ImproperlyConfigured(f"Alipay needs {setting} (or {setting}_FILE).")
    return text


def _der(text: str, setting: str) -> bytes:
    """Alipay's key tool writes keys as bare base64 (DER) without the PEM armour."""
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error as exc:
        raise ImproperlyConfigured(f"Alipay: {setting} is neither PEM nor base64.") from exc


def _private_key_pem(setting: str) -> str:
    text = _key_text(setting)
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = serialization.load_der_private_key(_der(text, setting), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ImproperlyConfigured(f"Alipay: {setting} is not a readable private key.") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured(f"Alipay: {setting} must be an RSA key (RSA2).")
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_key_pem(setting: str) -> str:
    text = _key_text(setting)
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(_der(text, setting))
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ImproperlyConfigured(f"Alipay: {setting} is not a readable public key.") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ImproperlyConfigured(f"Alipay: {setting} must be an RSA key (RSA2).")
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _gateway_url() -> str:
    configured = str(settings.ALIPAY_GATEWAY_URL or "").strip()
    if configured:
        if not configured.startswith(("https://", "http://")):
            raise ImproperlyConfigured("Alipay: ALIPAY_GATEWAY_URL must be an http(s) URL.")
        return configured
    return SANDBOX_GATEWAY if settings.ALIPAY_SANDBOX else PRODUCTION_GATEWAY


class _Client(AliPay):
    """The SDK's client, pointed at the configured gateway: the SDK itself only knows the
    production and sandbox gateways, and tests point it at a local fake."""

    def __init__(self, *, gateway: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gateway = gateway


# --- Conversions ------------------------------------------------------------------------------


def yuan(amount: int) -> str:
    """Integer fen as Alipay's exact decimal yuan string: 12345 → "123.45"."""
    return f"{amount // 100}.{amount % 100:02d}"


def beijing_time(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def _parse_beijing_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=BEIJING)


def _subject(description: str) -> str:
    return SUBJECT_FORBIDDEN.sub(" ", description).strip()[:256] or "Circlemart"


def _failure(response: Mapping[str, Any]) -> str:
    return str(response.get("sub_code") or response.get("code") or "unknown")


class AlipayProvider:
    name: ClassVar[str] = "alipay"

    def __init__(self) -> None:
        self.app_id = str(settings.ALIPAY_APP_ID or "").strip()
        if not self.app_id:
            raise ImproperlyConfigured("Alipay needs ALIPAY_APP_ID (the app's APPID).")
        product = str(settings.ALIPAY_PAY_PRODUCT or "").strip().lower()
        if product not in PRODUCTS:
            raise ImproperlyConfigured("Alipay: ALIPAY_PAY_PRODUCT must be 'page' or 'wap'.")
        self.pay_method, self.product_code = PRODUCTS[product]
        self.trade_prefix = str(settings.ALIPAY_TRADE_PREFIX or "").strip()
        if not TRADE_PREFIX.fullmatch(self.trade_prefix):
            raise ImproperlyConfigured(
                "Alipay: ALIPAY_TRADE_PREFIX may hold at most 32 letters, digits and underscores."
            )
        timeout = float(settings.ALIPAY_TIMEOUT_SECONDS)
        if timeout <= 0:
            raise ImproperlyConfigured("Alipay: ALIPAY_TIMEOUT_SECONDS must be positive.")
        self.gateway_url = _gateway_url()
        self._client = _Client(
            gateway=self.gateway_url,
            appid=self.app_id,
            app_private_key_string=_private_key_pem("ALIPAY_APP_PRIVATE_KEY"),
            alipay_public_key_string=_public_key_pem("ALIPAY_PUBLIC_KEY"),
            sign_type="RSA2",
            config=AliPayConfig(timeout=timeout),
        )

    def supports_currency(self, currency: str) -> bool:
        return currency.upper() == CURRENCY

    # --- Identifiers --------------------------------------------------------------------------

    def out_trade_no(self, reference: str) -> str:
        out_trade_no = f"{self.trade_prefix}{reference}"
        if not OUT_TRADE_NO.fullmatch(out_trade_no):
            raise ValidationFailed(
                _("This payment reference cannot be used with Alipay."),
                code="invalid_reference",
                field="reference",
            )
        return out_trade_no

    def reference_of(self, out_trade_no: str) -> str:
        """Our reference back from an out_trade_no ("" for another environment's trade)."""
        if not out_trade_no.startswith(self.trade_prefix):
            return ""
        return out_trade_no[len(self.trade_prefix) :]

    # --- Calls --------------------------------------------------------------------------------

    def _call(self, method: str, biz_content: dict[str, Any]) -> dict[str, Any]:
        """One gateway API call: the SDK signs the request and verifies the signature of the
        answer (over its `<method>_response` text) with Alipay's public key."""
        try:
            # The SDK would stamp the request with the host's local time: Alipay wants Beijing.
            response = self._client.server_api(
                method, biz_content, timestamp=beijing_time(clock.now())
            )
        except AliPayValidationError as exc:
            logger.error("alipay answer failed its signature check", extra={"method": method})
            raise ProviderUnavailable(_("Alipay's answer failed its signature check.")) from exc
        except (AliPayException, AttributeError) as exc:
            # An unsigned answer (the gateway refused our request: bad signature, unknown app
            # id, …); AttributeError is the SDK tripping over one without a known envelope.
            logger.error("alipay refused the request", extra={"method": method, "error": str(exc)})
            raise ProviderUnavailable(_("Alipay refused the request.")) from exc
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # Network errors, timeouts, HTTP 5xx (urllib's HTTPError is an OSError) and bodies
            # that are not JSON.
            logger.warning("alipay unreachable", extra={"method": method, "error": str(exc)})
            raise ProviderUnavailable(_("Alipay did not answer.")) from exc
        if not isinstance(response, dict):
            raise ProviderUnavailable(_("Alipay did not answer."))
        return response

    def _unexpected(self, method: str, response: Mapping[str, Any]) -> ProviderUnavailable:
        logger.warning(
            "alipay call failed",
            extra={"method": method, "code": response.get("code"), "sub_code": _failure(response)},
        )
        return ProviderUnavailable(_("Alipay could not carry out the request."))

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
        """The signed gateway URL of the hosted cashier; no call is made. Alipay creates the
        trade when the buyer opens that URL, and one out_trade_no is one trade: opening it
        again (or a retry's URL) cannot charge twice, so idempotency_key has nothing to add."""
        if not self.supports_currency(currency):
            raise ValidationFailed(
                _("Alipay takes payments in CNY only."), code="invalid_currency", field="currency"
            )
        if isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT_FEN:
            raise ValidationFailed(
                _("This amount cannot be paid with Alipay."), code="invalid_amount", field="amount"
            )
        out_trade_no = self.out_trade_no(reference)
        biz_content: dict[str, Any] = {
            "out_trade_no": out_trade_no,
            "total_amount": yuan(amount),
            "subject": _subject(description),
            "product_code": self.product_code,
        }
        window = int(settings.ORDER_PAYMENT_WINDOW_MINUTES)
        if MIN_WINDOW_MINUTES <= window <= MAX_WINDOW_MINUTES:
            # An absolute deadline: a cashier opened late cannot take money after the order's
            # payment window (the order is cancelled then, and the trade closed).
            expires = clock.now() + timedelta(minutes=window)
            biz_content["time_expire"] = beijing_time(expires)
        extra = {"return_url": return_url, "notify_url": notify_url}
        if self.pay_method == "alipay.trade.wap.pay":
            biz_content["quit_url"] = return_url  # where "leave the cashier" goes on a phone
        query = self._client.client_api(
            self.pay_method, biz_content, timestamp=beijing_time(clock.now()), **extra
        )
        return CreatedPayment(
            provider_payment_id=out_trade_no, redirect_url=f"{self.gateway_url}?{query}"
        )

    def _query(self, out_trade_no: str) -> dict[str, Any] | None:
        """alipay.trade.query's answer, or None when Alipay has no such trade yet."""
        method = "alipay.trade.query"
        response = self._call(method, {"out_trade_no": out_trade_no})
        if response.get("code") == SUCCESS_CODE:
            return response
        if _failure(response) == TRADE_NOT_EXIST:
            return None
        raise self._unexpected(method, response)

    def fetch_status(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        trade = self._query(provider_payment_id)
        if trade is None:
            # The buyer has not opened the cashier: no trade exists yet, nothing is paid.
            return ProviderPaymentStatus.PENDING
        status = str(trade.get("trade_status", ""))
        if status not in TRADE_STATUSES:
            raise self._unexpected("alipay.trade.query", trade)
        return TRADE_STATUSES[status]

    def cancel_payment(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        method = "alipay.trade.close"
        response = self._call(method, {"out_trade_no": provider_payment_id})
        if response.get("code") == SUCCESS_CODE:
            return ProviderPaymentStatus.CANCELLED
        failure = _failure(response)
        if failure == TRADE_NOT_EXIST:
            # The buyer never opened the cashier, so there is no trade to close; the signed URL
            # carries time_expire, so a cashier opened later is already closed.
            return ProviderPaymentStatus.CANCELLED
        if failure == TRADE_STATUS_ERROR:
            # Paid (or closed) already: say which.
            return self.fetch_status(provider_payment_id=provider_payment_id)
        raise self._unexpected(method, response)

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
        """alipay.trade.refund is synchronous: fund_change "Y" means the money moved now. Its
        notification goes to the trade's notify_url (the refund API takes none). A retry with
        the same out_request_no refunds nothing twice and answers fund_change "N": the refund
        query then says whether the first attempt went through."""
        if currency.upper() != CURRENCY:
            raise RefundRejected(
                _("Alipay refunds in CNY only."), code="currency_not_supported", field="currency"
            )
        out_request_no = idempotency_key
        if not 0 < len(out_request_no) <= MAX_OUT_REQUEST_NO:
            raise ValidationFailed(
                _("This refund reference cannot be used with Alipay."),
                code="invalid_reference",
                field="idempotency_key",
            )
        biz_content: dict[str, Any] = {
            "out_trade_no": provider_payment_id,
            "refund_amount": yuan(amount),
            "out_request_no": out_request_no,
        }
        if reason.strip():
            biz_content["refund_reason"] = reason.strip()[:256]
        method = "alipay.trade.refund"
        response = self._call(method, biz_content)
        if response.get("code") == SUCCESS_CODE:
            if response.get("fund_change") == "Y":
                return ProviderRefund(
                    provider_refund_id=out_request_no, status=ProviderRefundStatus.SUCCEEDED
                )
            try:
                return self.fetch_refund(
                    provider_payment_id=provider_payment_id,
                    provider_refund_id=out_request_no,
                    reference=reference,
                )
            except ProviderUnavailable:
                # Accepted; the reconciliation sweep asks again.
                return ProviderRefund(
                    provider_refund_id=out_request_no, status=ProviderRefundStatus.PENDING
                )
        failure = _failure(response)
        if response.get("code") == BUSINESS_FAILED_CODE and failure not in (
            RETRYABLE_REFUND_FAILURES
        ):
            logger.warning(
                "alipay refused a refund",
                extra={"out_trade_no": provider_payment_id, "sub_code": failure},
            )
            raise RefundRejected(_("Alipay refused the refund."), code=failure)
        raise self._unexpected(method, response)

    def fetch_refund(
        self, *, provider_payment_id: str, provider_refund_id: str, reference: str
    ) -> ProviderRefund:
        method = "alipay.trade.fastpay.refund.query"
        response = self._call(
            method, {"out_trade_no": provider_payment_id, "out_request_no": provider_refund_id}
        )
        if response.get("code") != SUCCESS_CODE:
            raise self._unexpected(method, response)
        if not response.get("out_request_no") and not response.get("refund_amount"):
            # Alipay knows no such refund (yet). Not FAILED: saying so could have the money
            # refunded twice if it is only late; the sweep asks again and staff see it pending.
            return ProviderRefund(
                provider_refund_id=provider_refund_id, status=ProviderRefundStatus.PENDING
            )
        status = str(response.get("refund_status") or "")
        if status not in REFUND_STATUSES:
            raise self._unexpected(method, response)
        return ProviderRefund(provider_refund_id=provider_refund_id, status=REFUND_STATUSES[status])

    # --- Notifications ------------------------------------------------------------------------

    def acknowledge_webhook(self, *, error: DomainError | None) -> WebhookAck:
        """Alipay stops resending only on the plain text "success"; anything else makes it try
        again (up to 8 times over about 25 hours)."""
        if error is None:
            return WebhookAck(status=200, body=b"success", content_type="text/plain")
        return WebhookAck(status=error.status, body=b"fail", content_type="text/plain")

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """An asynchronous notification: a form post signed (RSA2) by Alipay over its sorted
        parameters without sign and sign_type. It carries no freshness window to check (Alipay
        resends for about 25 hours): replays are caught by notify_id, and every state move is
        conditional, so an old notification changes nothing."""
        params = _notification_params(body)
        signature = params.pop("sign", "")
        sign_type = params.pop("sign_type", "")
        if sign_type != "RSA2" or not signature or not self._signature_is_valid(params, signature):
            raise WebhookRejected(BAD_SIGNATURE, code="bad_signature", field="sign")
        if params.get("app_id") != self.app_id:
            raise WebhookRejected(
                _("The notification is for another Alipay app."), code="wrong_app", field="app_id"
            )
        return self._event(params)

    def _signature_is_valid(self, params: dict[str, str], signature: str) -> bool:
        try:
            return bool(self._client.verify(dict(params), signature))
        except (ValueError, AliPayException):  # not base64, or a signature of another size
            return False

    def _event(self, params: dict[str, str]) -> WebhookEvent:
        event_id = params.get("notify_id", "")
        out_trade_no = params.get("out_trade_no", "")
        if not event_id or len(event_id) > MAX_EVENT_ID or not out_trade_no:
            raise _malformed()
        try:
            occurred_at = _parse_beijing_time(params.get("notify_time", ""))
        except ValueError as exc:
            raise _malformed() from exc
        trade_status = params.get("trade_status", "")
        refund_request = params.get("out_biz_no", "")
        if refund_request or params.get("refund_fee") or params.get("gmt_refund"):
            # A refund (partial: TRADE_SUCCESS; full: TRADE_CLOSED) is told to the trade's
            # notify_url with out_biz_no = the refund's out_request_no. merchant_reference stays
            # empty: our reference here would be the payment's id, never the refund's.
            event_type = (
                WebhookEventType.REFUND_SUCCEEDED if refund_request else WebhookEventType.OTHER
            )
            return WebhookEvent(
                event_id=event_id,
                event_type=event_type,
                occurred_at=occurred_at,
                provider_payment_id=out_trade_no,
                provider_refund_id=refund_request,
            )
        return WebhookEvent(
            event_id=event_id,
            event_type=NOTIFICATION_EVENTS.get(trade_status, WebhookEventType.OTHER),
            occurred_at=occurred_at,
            provider_payment_id=out_trade_no,
            merchant_reference=self.reference_of(out_trade_no),
            reason=f"alipay {trade_status}"[:200] if trade_status == "TRADE_CLOSED" else "",
        )


def _malformed() -> WebhookRejected:
    return WebhookRejected(
        _("The notification is not a readable Alipay notification."),
        code="malformed_webhook",
        field="body",
    )


def _notification_params(body: bytes) -> dict[str, str]:
    """The form fields of a notification, decoded in the charset it names (utf-8 unless the
    app is set to GBK); a repeated field makes it unreadable."""
    try:
        text = body.decode("ascii")  # a form body is percent-encoded
        # latin-1 reads any bytes: enough to find the charset field, which is ASCII.
        charset = dict(parse_qsl(text, keep_blank_values=True, encoding="latin-1")).get(
            "charset", "utf-8"
        )
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=True, encoding=charset, errors="strict"
        )
    except (UnicodeError, ValueError, LookupError) as exc:
        raise _malformed() from exc
    params = dict(pairs)
    if len(params) != len(pairs):
        raise _malformed()
    return params
