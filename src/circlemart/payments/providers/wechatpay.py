"""WeChat Pay APIv3 behind the PaymentProvider port: Native (QR code) payments, queries,
closing, refunds, and the signed, AES-256-GCM-encrypted notifications of both.

Built on the `wechatpayv3` SDK's signing, verifying and decrypting helpers, with the HTTP calls
written here (documented APIv3 endpoints, `requests`): its `WeChatPay` class hard-codes the
gateway host (so it cannot be pointed at a sandbox, a backup domain or a local fake), downloads
platform certificates over the network inside its constructor (start-up checks build providers),
raises a bare Exception for a bad signature and has no notification timestamp check.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlencode, urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from wechatpayv3 import utils as wechatpay_utils

from circlemart.core import clock
from circlemart.core.errors import DomainError, ValidationFailed
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

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.mch.weixin.qq.com"
SIGNATURE_SCHEME = "WECHATPAY2-SHA256-RSA2048"
CURRENCY = "CNY"
CHINA_STANDARD_TIME = timezone(timedelta(hours=8))
# The subset of WeChat's allowed order-number characters that needs no URL quoting.
ORDER_NUMBER = re.compile(r"[0-9A-Za-z_-]+")
TRADE_NUMBER_LENGTHS = (6, 32)  # out_trade_no
REFUND_NUMBER_MAX_LENGTH = 64  # out_refund_no
DESCRIPTION_MAX_BYTES = 127
REFUND_REASON_MAX_BYTES = 80
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# A notification naming an unknown certificate serial may fetch /v3/certificates at most this
# often (forged notifications must not turn us into a download loop).
CERTIFICATE_REFRESH_SECONDS = 60
# Refusals that are not final: the merchant's refundable balance is short for now (NOT_ENOUGH),
# our signature was refused (a configuration error an operator fixes), rate limiting.
RETRYABLE_CODES = frozenset({"NOT_ENOUGH", "SIGN_ERROR", "FREQUENCY_LIMITED", "SYSTEM_ERROR"})
FORGED_CODES = frozenset({"bad_signature", "unknown_serial", "stale_webhook"})

_TRADE_STATES = {
    "SUCCESS": ProviderPaymentStatus.SUCCEEDED,
    "REFUND": ProviderPaymentStatus.SUCCEEDED,  # paid, then (partly) refunded
    "NOTPAY": ProviderPaymentStatus.PENDING,
    "USERPAYING": ProviderPaymentStatus.PENDING,
    "CLOSED": ProviderPaymentStatus.CANCELLED,
    "REVOKED": ProviderPaymentStatus.CANCELLED,
    "PAYERROR": ProviderPaymentStatus.FAILED,
}
_REFUND_STATES = {
    "SUCCESS": ProviderRefundStatus.SUCCEEDED,
    "PROCESSING": ProviderRefundStatus.PENDING,
    "ABNORMAL": ProviderRefundStatus.FAILED,  # the buyer's account refused it: staff act
    "CLOSED": ProviderRefundStatus.FAILED,
}
_REFUND_EVENTS = {
    "REFUND.SUCCESS": WebhookEventType.REFUND_SUCCEEDED,
    "REFUND.ABNORMAL": WebhookEventType.REFUND_FAILED,
    "REFUND.CLOSED": WebhookEventType.REFUND_FAILED,
}


@dataclass(frozen=True)
class _Answer:
    status: int
    data: dict[str, Any]

    @property
    def error_code(self) -> str:
        return str(self.data.get("code", ""))


def _setting(name: str) -> str:
    return str(getattr(settings, name, "") or "").strip()


def _required(name: str) -> str:
    value = _setting(name)
    if not value:
        raise ImproperlyConfigured(f"WeChat Pay needs the {name} setting.")
    return value


def _text_or_file(name: str) -> str:
    """A PEM given inline in `name` or as a path in `name`_FILE."""
    return secret_setting(name, provider="WeChat Pay")


def _load(name: str, loader: Any, text: str) -> Any:
    try:
        return loader(text)
    # The SDK's loaders raise a bare Exception for an unreadable key; re-raised, not hidden.
    except Exception as exc:
        raise ImproperlyConfigured(f"{name} is not a readable PEM key.") from exc


def _unavailable(message: str = "") -> ProviderUnavailable:
    return ProviderUnavailable(message or _("WeChat Pay did not answer; try again shortly."))


def _rejected(message: str | Promise, code: str, field: str = "signature") -> WebhookRejected:
    return WebhookRejected(message, code=code, field=field)


def _certificate_serial(serial: str) -> int | None:
    try:
        return int(serial, 16)
    except ValueError:
        return None


class WechatPayProvider:
    name: ClassVar[str] = "wechatpay"

    def __init__(self) -> None:
        self._mchid = _required("WECHATPAY_MCHID")
        self._appid = _required("WECHATPAY_APPID")
        self._merchant_serial = _required("WECHATPAY_MERCHANT_CERT_SERIAL")
        private_pem = _text_or_file("WECHATPAY_MERCHANT_PRIVATE_KEY")
        if not private_pem:
            raise ImproperlyConfigured(
                "WeChat Pay needs WECHATPAY_MERCHANT_PRIVATE_KEY or _FILE (apiclient_key.pem)."
            )
        private_key = _load(
            "WECHATPAY_MERCHANT_PRIVATE_KEY", wechatpay_utils.load_private_key, private_pem
        )
        if not isinstance(private_key, RSAPrivateKey):
            raise ImproperlyConfigured("WECHATPAY_MERCHANT_PRIVATE_KEY must be an RSA key.")
        self._private_key = private_key
        self._apiv3_key = _required("WECHATPAY_APIV3_KEY")
        if len(self._apiv3_key.encode()) != 32:
            raise ImproperlyConfigured("WECHATPAY_APIV3_KEY must be 32 characters long.")
        self._api_base = _setting("WECHATPAY_API_BASE").rstrip("/") or DEFAULT_API_BASE
        base = urlsplit(self._api_base)
        if base.scheme != "https" and not (
            base.scheme == "http" and base.hostname in LOOPBACK_HOSTS
        ):
            raise ImproperlyConfigured(
                "WECHATPAY_API_BASE must be an https URL (http only for 127.0.0.1/localhost)."
            )
        self._trade_prefix = _setting("WECHATPAY_TRADE_PREFIX")
        if self._trade_prefix and not (
            ORDER_NUMBER.fullmatch(self._trade_prefix) and len(self._trade_prefix) <= 16
        ):
            raise ImproperlyConfigured(
                "WECHATPAY_TRADE_PREFIX may hold up to 16 letters, digits, '_' or '-'."
            )
        self._timeout = float(getattr(settings, "WECHATPAY_TIMEOUT_SECONDS", 10))
        self._public_key_id = ""
        self._public_keys: dict[str, RSAPublicKey] = {}
        self._load_platform_public_key()
        self._certificates: dict[int, RSAPublicKey] = {}
        self._load_certificate_dir()
        # Platform certificates are fetched from /v3/certificates, when first needed, only by
        # merchants that have no "WeChat Pay public key" (the older certificate mode).
        self._downloads_certificates = not self._public_keys
        self._certificates_fetched_at = -float(CERTIFICATE_REFRESH_SECONDS)
        self._lock = threading.Lock()

    def _load_platform_public_key(self) -> None:
        pem = _text_or_file("WECHATPAY_PLATFORM_PUBLIC_KEY")
        key_id = _setting("WECHATPAY_PLATFORM_PUBLIC_KEY_ID")
        if bool(pem) != bool(key_id):
            raise ImproperlyConfigured(
                "WECHATPAY_PLATFORM_PUBLIC_KEY (or _FILE) and WECHATPAY_PLATFORM_PUBLIC_KEY_ID "
                "go together."
            )
        if pem:
            key = _load("WECHATPAY_PLATFORM_PUBLIC_KEY", wechatpay_utils.load_public_key, pem)
            if not isinstance(key, RSAPublicKey):
                raise ImproperlyConfigured("WECHATPAY_PLATFORM_PUBLIC_KEY must be an RSA key.")
            self._public_key_id = key_id
            self._public_keys[key_id] = key

    def _load_certificate_dir(self) -> None:
        directory = _setting("WECHATPAY_PLATFORM_CERT_DIR")
        if not directory:
            return
        try:
            paths = sorted(Path(directory).glob("*.pem"))
            for path in paths:
                self._keep_certificate(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ImproperlyConfigured(f"WECHATPAY_PLATFORM_CERT_DIR: {exc}") from exc

    def _keep_certificate(self, pem: str) -> int | None:
        """Remember a platform certificate's key if it is valid now; its serial, else None."""
        certificate = wechatpay_utils.load_certificate(pem)
        if certificate is None:
            return None
        now = clock.now()
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            return None
        key = certificate.public_key()
        if not isinstance(key, RSAPublicKey):
            return None
        self._certificates[certificate.serial_number] = key
        return int(certificate.serial_number)

    # --- The port ---------------------------------------------------------------------------

    def supports_currency(self, currency: str) -> bool:
        return currency.upper() == CURRENCY

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
        """Native pay: WeChat answers a `code_url` the buyer scans. The out_trade_no is the
        idempotency (re-posting the same order returns it again), so `idempotency_key` and
        `return_url` (no page to come back from) are not sent."""
        if not self.supports_currency(currency):
            raise ValidationFailed(
                _("WeChat Pay takes payments in CNY only."),
                code="unsupported_currency",
                field="currency",
            )
        out_trade_no = self.out_trade_no(reference)
        expires_at = clock.now() + timedelta(minutes=settings.ORDER_PAYMENT_WINDOW_MINUTES)
        payload = {
            "appid": self._appid,
            "mchid": self._mchid,
            "description": _truncated(description, DESCRIPTION_MAX_BYTES),
            "out_trade_no": out_trade_no,
            "time_expire": _rfc3339(expires_at),
            "attach": reference,  # echoed back in notifications and queries
            "notify_url": notify_url,
            "amount": {"total": amount, "currency": CURRENCY},  # fen: our minor units as is
        }
        answer = self._call("POST", "/v3/pay/transactions/native", payload=payload)
        code_url = answer.data.get("code_url") if answer.status == 200 else None
        if not isinstance(code_url, str) or not code_url:
            logger.error(
                "wechatpay native order refused",
                extra={
                    "out_trade_no": out_trade_no,
                    "status": answer.status,
                    "code": answer.error_code,
                    "detail": answer.data.get("message"),
                },
            )
            raise _unavailable()
        return CreatedPayment(provider_payment_id=out_trade_no, qr_code=code_url)

    def fetch_status(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        state = str(self._transaction(provider_payment_id).get("trade_state", ""))
        if state not in _TRADE_STATES:
            logger.error("wechatpay unknown trade_state", extra={"trade_state": state})
            raise _unavailable()
        return _TRADE_STATES[state]

    def cancel_payment(self, *, provider_payment_id: str) -> ProviderPaymentStatus:
        """Close the order (it can no longer be paid). A refused close (already paid, already
        closed) is answered by asking how the order stands."""
        answer = self._call(
            "POST",
            f"/v3/pay/transactions/out-trade-no/{quote(provider_payment_id, safe='')}/close",
            payload={"mchid": self._mchid},
        )
        if answer.status == 204:
            return ProviderPaymentStatus.CANCELLED
        logger.info(
            "wechatpay close refused",
            extra={"out_trade_no": provider_payment_id, "code": answer.error_code},
        )
        return self.fetch_status(provider_payment_id=provider_payment_id)

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
        """A domestic refund; WeChat wants the order's total with it, so the order is queried
        first. The out_refund_no comes from the idempotency key: a retry returns the same
        refund. `provider_refund_id` is that out_refund_no (what the refund query takes)."""
        if not self.supports_currency(currency):
            raise RefundRejected(
                _("WeChat Pay refunds only CNY payments."), code="unsupported_currency"
            )
        out_refund_no = self._out_refund_no(idempotency_key)
        order = self._transaction(provider_payment_id, refusal=RefundRejected)
        total = order.get("amount", {}).get("total")
        if not isinstance(total, int):
            raise _unavailable()
        payload: dict[str, Any] = {
            "out_trade_no": provider_payment_id,
            "out_refund_no": out_refund_no,
            "notify_url": notify_url,
            "amount": {"refund": amount, "total": total, "currency": CURRENCY},
        }
        if reason:
            payload["reason"] = _truncated(reason, REFUND_REASON_MAX_BYTES)
        answer = self._call("POST", "/v3/refund/domestic/refunds", payload=payload)
        if answer.status != 200:
            raise self._refusal(answer, RefundRejected)
        return self._refund_from(answer.data, out_refund_no)

    def fetch_refund(
        self, *, provider_payment_id: str, provider_refund_id: str, reference: str
    ) -> ProviderRefund:
        if not provider_refund_id:  # never acknowledged: resubmitting is the way to ask
            raise _unavailable()
        answer = self._call(
            "GET", f"/v3/refund/domestic/refunds/{quote(provider_refund_id, safe='')}"
        )
        if answer.status != 200:
            raise self._refusal(answer, ProviderUnavailable)
        return self._refund_from(answer.data, provider_refund_id)

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        lowered = {name.lower(): value for name, value in headers.items()}
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _malformed() from exc
        timestamp = lowered.get("wechatpay-timestamp", "")
        if not timestamp.isdigit():
            raise _rejected(BAD_SIGNATURE, "bad_signature")
        tolerance = settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS
        if abs(clock.now().timestamp() - int(timestamp)) > tolerance:
            raise _rejected(STALE_WEBHOOK, "stale_webhook")
        problem = self._signature_problem(lowered, text)
        if problem == "unknown_serial":
            raise _rejected(_("The notification is signed by an unknown WeChat Pay key."), problem)
        if problem:
            raise _rejected(BAD_SIGNATURE, problem)
        return self._event_from(text)

    def acknowledge_webhook(self, *, error: DomainError | None) -> WebhookAck:
        """WeChat Pay wants 200/204 with no body for "received"; anything else, 4xx/5xx with
        {"code": "FAIL", "message": …}, makes it retry (15s, 15s, 30s, 3m, … over ~24h)."""
        if error is None:
            return WebhookAck(status=204)
        if isinstance(error, WebhookRejected) and error.code in FORGED_CODES:
            status = 401
        else:
            status = error.status if 400 <= error.status < 600 else 500
        body = {"code": "FAIL", "message": str(error.message)}
        return WebhookAck(
            status=status,
            body=json.dumps(body, ensure_ascii=False).encode(),
            content_type="application/json; charset=utf-8",
        )

    # --- Numbers --------------------------------------------------------------------------

    def out_trade_no(self, reference: str) -> str:
        """Our reference behind WECHATPAY_TRADE_PREFIX, zero-padded to WeChat's 6 characters."""
        shortest = TRADE_NUMBER_LENGTHS[0] - len(self._trade_prefix)
        number = self._trade_prefix + reference.rjust(shortest, "0")
        if not ORDER_NUMBER.fullmatch(reference) or len(number) > TRADE_NUMBER_LENGTHS[1]:
            raise ValidationFailed(
                _("This reference cannot be a WeChat Pay order number."),
                code="invalid_reference",
                field="reference",
            )
        return number

    def _out_refund_no(self, idempotency_key: str) -> str:
        number = self._trade_prefix + idempotency_key
        if not ORDER_NUMBER.fullmatch(number) or len(number) > REFUND_NUMBER_MAX_LENGTH:
            raise ValidationFailed(
                _("This reference cannot be a WeChat Pay order number."),
                code="invalid_reference",
                field="idempotency_key",
            )
        return number

    # --- Calls ----------------------------------------------------------------------------

    def _transaction(
        self,
        out_trade_no: str,
        *,
        refusal: type[ProviderUnavailable | RefundRejected] = ProviderUnavailable,
    ) -> dict[str, Any]:
        answer = self._call(
            "GET",
            f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}",
            query={"mchid": self._mchid},
        )
        if answer.status != 200:
            raise self._refusal(answer, refusal)
        return answer.data

    def _refusal(
        self, answer: _Answer, kind: type[ProviderUnavailable | RefundRejected]
    ) -> DomainError:
        code = answer.error_code
        logger.warning(
            "wechatpay refused a call",
            extra={"status": answer.status, "code": code, "detail": answer.data.get("message")},
        )
        if kind is RefundRejected and code not in RETRYABLE_CODES and answer.status != 429:
            return RefundRejected(
                _("WeChat Pay refused the refund."), code=f"wechatpay_{code.lower() or 'refused'}"
            )
        return _unavailable()

    def _refund_from(self, data: Mapping[str, Any], out_refund_no: str) -> ProviderRefund:
        status = str(data.get("status", ""))
        if status not in _REFUND_STATES:
            logger.error("wechatpay unknown refund status", extra={"refund_status": status})
            raise _unavailable()
        return ProviderRefund(provider_refund_id=out_refund_no, status=_REFUND_STATES[status])

    def _send(
        self, method: str, target: str, payload: Mapping[str, Any] | None
    ) -> requests.Response:
        """One signed request; `target` is the path and query under the API base."""
        url = self._api_base + target
        parts = urlsplit(url)
        signed_url = parts.path + (f"?{parts.query}" if parts.query else "")
        body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
        headers = {
            "Authorization": wechatpay_utils.build_authorization(
                signed_url, method, self._mchid, self._merchant_serial, self._private_key, body
            ),
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "circlemart (wechatpayv3)",
        }
        if self._public_key_id:  # public-key mode names the key it expects answers signed with
            headers["Wechatpay-Serial"] = self._public_key_id
        try:
            return requests.request(
                method,
                url,
                data=body.encode() if body else None,
                headers=headers,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            logger.warning("wechatpay unreachable", extra={"url": url, "error": str(exc)})
            raise _unavailable() from exc

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> _Answer:
        """Send, and trust the answer: 5xx/429/timeouts raise ProviderUnavailable, a 2xx must
        carry a valid platform signature, a 4xx is returned for the caller to judge."""
        target = path + (f"?{urlencode(query)}" if query else "")
        response = self._send(method, target, payload)
        if response.status_code >= 500 or response.status_code == 429:
            logger.warning("wechatpay error", extra={"status": response.status_code})
            raise _unavailable()
        try:
            text = response.content.decode("utf-8")
            data = json.loads(text) if text else {}
        except ValueError as exc:  # also UnicodeDecodeError
            raise _unavailable() from exc
        if not isinstance(data, dict):
            raise _unavailable()
        if 200 <= response.status_code < 300:
            headers = {name.lower(): value for name, value in response.headers.items()}
            problem = self._signature_problem(headers, text)
            if problem:
                logger.error("wechatpay answer not verified", extra={"problem": problem})
                raise _unavailable(_("WeChat Pay's answer could not be verified."))
        return _Answer(status=response.status_code, data=data)

    # --- Signatures and notifications -----------------------------------------------------

    def _signature_problem(self, headers: Mapping[str, str], body: str) -> str:
        """Empty when `body` is signed by a known platform key ("timestamp\\nnonce\\nbody\\n",
        SHA256withRSA), else the code of what is wrong. `headers` are lower-cased."""
        signature = headers.get("wechatpay-signature", "")
        nonce = headers.get("wechatpay-nonce", "")
        timestamp = headers.get("wechatpay-timestamp", "")
        serial = headers.get("wechatpay-serial", "")
        scheme = headers.get("wechatpay-signature-type", SIGNATURE_SCHEME)
        if not (signature and nonce and timestamp and serial) or scheme != SIGNATURE_SCHEME:
            return "bad_signature"
        key = self._platform_key(serial)
        if key is None:
            return "unknown_serial"
        if not wechatpay_utils.rsa_verify(timestamp, nonce, body, signature, key):
            return "bad_signature"
        return ""

    def _platform_key(self, serial: str) -> RSAPublicKey | None:
        if serial in self._public_keys:
            return self._public_keys[serial]
        number = _certificate_serial(serial)
        if number is None:
            return None
        with self._lock:
            key = self._certificates.get(number)
            if key is not None or not self._downloads_certificates:
                return key
            if time.monotonic() - self._certificates_fetched_at < CERTIFICATE_REFRESH_SECONDS:
                return None
            self._download_certificates()
            # Only a good download counts: a failed one is tried again at the next need.
            self._certificates_fetched_at = time.monotonic()
            return self._certificates.get(number)

    def _download_certificates(self) -> None:
        """GET /v3/certificates: each certificate is AES-GCM encrypted with the APIv3 key, and
        the answer must be signed by one of the certificates it carries."""
        response = self._send("GET", "/v3/certificates", None)
        if response.status_code != 200:
            logger.error("wechatpay certificates refused", extra={"status": response.status_code})
            raise _unavailable()
        try:
            text = response.content.decode("utf-8")
            entries = json.loads(text)["data"]
            pems = [
                _decrypt(entry["encrypt_certificate"], self._apiv3_key) or "" for entry in entries
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise _unavailable() from exc
        known = dict(self._certificates)
        fresh = {serial for pem in pems if (serial := self._keep_certificate(pem)) is not None}
        serial = _certificate_serial(response.headers.get("Wechatpay-Serial", ""))
        key = self._certificates.get(serial) if serial in fresh else None
        if key is None or not wechatpay_utils.rsa_verify(
            response.headers.get("Wechatpay-Timestamp", ""),
            response.headers.get("Wechatpay-Nonce", ""),
            text,
            response.headers.get("Wechatpay-Signature", ""),
            key,
        ):
            self._certificates = known
            logger.error("wechatpay certificates answer not verified")
            raise _unavailable(_("WeChat Pay's answer could not be verified."))

    def _event_from(self, text: str) -> WebhookEvent:
        try:
            notification = json.loads(text)
            event_id = str(notification["id"])
            raw_type = str(notification["event_type"])
            occurred_at = datetime.fromisoformat(str(notification["create_time"]))
            encrypted = notification["resource"]
            if notification.get("resource_type") != "encrypt-resource" or not event_id:
                raise ValueError(notification.get("resource_type"))
            if encrypted.get("algorithm") != "AEAD_AES_256_GCM":
                raise ValueError(encrypted.get("algorithm"))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _malformed() from exc
        try:
            plain = _decrypt(encrypted, self._apiv3_key)
            resource = json.loads(plain) if plain is not None else None
        except (ValueError, KeyError, TypeError) as exc:
            raise _undecryptable() from exc
        if not isinstance(resource, dict):
            raise _undecryptable()
        if str(resource.get("mchid", "")) != self._mchid:
            raise _rejected(
                _("The notification is for another merchant."), "wrong_merchant", "body"
            )
        event_type = WebhookEventType.OTHER
        reason = ""
        if raw_type == "TRANSACTION.SUCCESS" and resource.get("trade_state") == "SUCCESS":
            event_type = WebhookEventType.PAYMENT_SUCCEEDED
        elif raw_type in _REFUND_EVENTS:
            event_type = _REFUND_EVENTS[raw_type]
            if event_type == WebhookEventType.REFUND_FAILED:
                reason = f"wechatpay refund {resource.get('refund_status', raw_type)}"
        return WebhookEvent(
            event_id=event_id,
            event_type=event_type,
            occurred_at=occurred_at.astimezone(UTC),
            provider_payment_id=str(resource.get("out_trade_no", "")),
            provider_refund_id=str(resource.get("out_refund_no", "")),
            merchant_reference=str(resource.get("attach", "")),
            reason=reason[:200],
        )


def _decrypt(encrypted: Mapping[str, Any], apiv3_key: str) -> str | None:
    """AEAD_AES_256_GCM with the APIv3 key; None when the tag does not match."""
    result = wechatpay_utils.aes_decrypt(
        nonce=str(encrypted["nonce"]),
        ciphertext=str(encrypted["ciphertext"]),
        associated_data=str(encrypted.get("associated_data") or ""),
        apiv3_key=apiv3_key,
    )
    return result if isinstance(result, str) else None


def _malformed() -> WebhookRejected:
    return _rejected(
        _("The webhook body is not a readable event."), "malformed_webhook", field="body"
    )


def _undecryptable() -> WebhookRejected:
    return _rejected(
        _("The notification resource could not be decrypted."), "undecryptable", field="body"
    )


def _truncated(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes (WeChat counts bytes), never half a character."""
    return text.encode()[:limit].decode("utf-8", "ignore")


def _rfc3339(moment: datetime) -> str:
    """WeChat's time format, in China Standard Time: 2025-06-08T10:34:56+08:00."""
    return moment.astimezone(CHINA_STANDARD_TIME).isoformat(timespec="seconds")
