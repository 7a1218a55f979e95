"""A local WeChat Pay APIv3 server for tests: a real HTTP server on 127.0.0.1 that checks the
merchant's request signatures, signs its answers and notifications with the platform key (the
"WeChat Pay public key" or a platform certificate), encrypts notification resources with
AES-256-GCM under the APIv3 key, and keeps orders and refunds in memory.

It follows the APIv3 documentation: Authorization `WECHATPAY2-SHA256-RSA2048 mchid="…",
nonce_str="…",signature="…",timestamp="…",serial_no="…"` over "METHOD\\nURL\\ntimestamp\\nnonce\\n
body\\n" (SHA256withRSA, merchant key); answers and notifications signed over
"timestamp\\nnonce\\nbody\\n" in Wechatpay-Timestamp/-Nonce/-Signature/-Serial headers.
Unlike the real service it accepts http:// notify URLs (the test server is not on HTTPS).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import string
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from django.http import HttpResponse
from django.test import Client

SCHEME = "WECHATPAY2-SHA256-RSA2048"
MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
CST = dt.timezone(dt.timedelta(hours=8))
TOLERANCE_SECONDS = 300
OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
AUTHORIZATION_FIELD = re.compile(r'(\w+)="([^"]*)"')


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def rsa_sign(key: rsa.RSAPrivateKey, message: str) -> str:
    raw = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def rfc3339(moment: dt.datetime | None = None) -> str:
    return (moment or dt.datetime.now(CST)).astimezone(CST).isoformat(timespec="seconds")


def new_nonce(length: int = 32) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def self_signed_certificate(
    key: rsa.RSAPrivateKey, *, valid_from_days: int = -1, valid_days: int = 365
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (fake)")])
    now = dt.datetime.now(dt.UTC)
    start = now + dt.timedelta(days=valid_from_days)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=valid_days))
        .sign(key, hashes.SHA256())
    )


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def certificate_serial(certificate: x509.Certificate) -> str:
    return format(certificate.serial_number, "X")


def aes_gcm_encrypt(*, key: str, nonce: str, associated_data: str, plaintext: str) -> str:
    sealed = AESGCM(key.encode()).encrypt(
        nonce.encode(), plaintext.encode(), associated_data.encode()
    )
    return base64.b64encode(sealed).decode()


@dataclass(frozen=True)
class WechatPayKeys:
    """Key pairs generated once per test session (RSA 2048 takes a moment)."""

    merchant: rsa.RSAPrivateKey
    merchant_serial: str
    platform: rsa.RSAPrivateKey
    platform_public_key_id: str
    platform_certificate: x509.Certificate
    stranger: rsa.RSAPrivateKey  # signs forged notifications
    apiv3_key: str

    @classmethod
    def generate(cls) -> WechatPayKeys:
        platform = new_private_key()
        return cls(
            merchant=new_private_key(),
            merchant_serial=secrets.token_hex(20).upper(),
            platform=platform,
            platform_public_key_id=f"PUB_KEY_ID_{secrets.randbelow(10**20):020d}",
            platform_certificate=self_signed_certificate(platform),
            stranger=new_private_key(),
            apiv3_key=new_nonce(32),
        )


@dataclass
class Trade:
    out_trade_no: str
    appid: str
    description: str
    total: int
    attach: str
    notify_url: str
    time_expire: str
    code_url: str
    trade_state: str = "NOTPAY"
    transaction_id: str = ""
    success_time: str = ""

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "appid": self.appid,
            "mchid": MCHID,
            "out_trade_no": self.out_trade_no,
            "trade_type": "NATIVE",
            "trade_state": self.trade_state,
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付"}.get(
                self.trade_state, self.trade_state
            ),
            "attach": self.attach,
            "amount": {"total": self.total, "currency": "CNY"},
        }
        if self.transaction_id:
            answer.update(
                transaction_id=self.transaction_id,
                bank_type="OTHERS",
                success_time=self.success_time,
                payer={"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            )
            answer["amount"].update(payer_total=self.total, payer_currency="CNY")
        return answer


@dataclass
class RefundRecord:
    out_refund_no: str
    refund_id: str
    out_trade_no: str
    transaction_id: str
    refund: int
    total: int
    reason: str
    notify_url: str
    status: str = "PROCESSING"
    create_time: str = field(default_factory=rfc3339)
    success_time: str = ""

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "refund_id": self.refund_id,
            "out_refund_no": self.out_refund_no,
            "transaction_id": self.transaction_id,
            "out_trade_no": self.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "招商银行信用卡0403",
            "create_time": self.create_time,
            "status": self.status,
            "funds_account": "AVAILABLE",
            "amount": {
                "total": self.total,
                "refund": self.refund,
                "payer_total": self.total,
                "payer_refund": self.refund,
                "settlement_refund": self.refund,
                "settlement_total": self.total,
                "discount_refund": 0,
                "currency": "CNY",
            },
        }
        if self.success_time:
            answer["success_time"] = self.success_time
        return answer

    def notification_resource(self) -> dict[str, Any]:
        return {
            "mchid": MCHID,
            "out_trade_no": self.out_trade_no,
            "transaction_id": self.transaction_id,
            "out_refund_no": self.out_refund_no,
            "refund_id": self.refund_id,
            "refund_status": self.status,
            "success_time": self.success_time,
            "user_received_account": "招商银行信用卡0403",
            "amount": {
                "total": self.total,
                "refund": self.refund,
                "payer_total": self.total,
                "payer_refund": self.refund,
            },
        }


@dataclass(frozen=True)
class Notification:
    """A signed notification, ready to be POSTed (again, or out of order) to `url`."""

    url: str
    headers: dict[str, str]
    body: bytes
    event_id: str

    def post(self, client: Client) -> HttpResponse:
        return client.post(
            urlsplit(self.url).path,
            data=self.body,
            content_type="application/json",
            headers=self.headers,
        )


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    status: int
    body: dict[str, Any]


@dataclass
class _Answer:
    status: int
    body: dict[str, Any] | None = None
    signed: bool = True


class WechatPayFake:
    """The fake service. `mode` is "public_key" (answers signed with the WeChat Pay public
    key, serial = its id) or "certificate" (serial = the platform certificate's serial, which
    the merchant downloads from /v3/certificates)."""

    def __init__(self, keys: WechatPayKeys, *, mode: str = "public_key") -> None:
        self.keys = keys
        self.mode = mode
        self.trades: dict[str, Trade] = {}
        self.refunds: dict[str, RefundRecord] = {}
        self.seen: list[Seen] = []
        # (path prefix, answer): answered instead of serving the next matching requests
        self.queued: list[tuple[str, _Answer]] = []
        self.delay_seconds = 0.0  # a slow network
        self.answer_key: rsa.RSAPrivateKey | None = None  # set to forge every answer
        self.refunds_settle_at_once = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # --- Running ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> WechatPayFake:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def serial(self) -> str:
        if self.mode == "certificate":
            return certificate_serial(self.keys.platform_certificate)
        return self.keys.platform_public_key_id

    def settings(self) -> dict[str, Any]:
        """The WECHATPAY_* settings of a merchant of this fake."""
        values: dict[str, Any] = {
            "WECHATPAY_MCHID": MCHID,
            "WECHATPAY_APPID": APPID,
            "WECHATPAY_MERCHANT_PRIVATE_KEY": pem_private(self.keys.merchant),
            "WECHATPAY_MERCHANT_PRIVATE_KEY_FILE": "",
            "WECHATPAY_MERCHANT_CERT_SERIAL": self.keys.merchant_serial,
            "WECHATPAY_APIV3_KEY": self.keys.apiv3_key,
            "WECHATPAY_PLATFORM_PUBLIC_KEY": "",
            "WECHATPAY_PLATFORM_PUBLIC_KEY_FILE": "",
            "WECHATPAY_PLATFORM_PUBLIC_KEY_ID": "",
            "WECHATPAY_PLATFORM_CERT_DIR": "",
            "WECHATPAY_API_BASE": self.base_url,
            "WECHATPAY_TRADE_PREFIX": "CM",
            "WECHATPAY_TIMEOUT_SECONDS": 5,
        }
        if self.mode == "public_key":
            values["WECHATPAY_PLATFORM_PUBLIC_KEY"] = pem_public(self.keys.platform.public_key())
            values["WECHATPAY_PLATFORM_PUBLIC_KEY_ID"] = self.keys.platform_public_key_id
        return values

    def fail_next(
        self, status: int, code: str, *, path: str = "/", count: int = 1, signed: bool = True
    ) -> None:
        """Answer the next `count` requests under `path` with this error instead of serving
        them."""
        answer = _Answer(status, {"code": code, "message": code}, signed=signed)
        self.queued.extend([(path, answer)] * count)

    def paths(self) -> list[str]:
        return [f"{seen.method} {seen.path}" for seen in self.seen]

    # --- What buyers and WeChat do ----------------------------------------------------------

    def pay(self, out_trade_no: str) -> Notification:
        """The buyer scans and pays: the order succeeds; its notification is returned."""
        with self._lock:
            trade = self.trades[out_trade_no]
            assert trade.trade_state == "NOTPAY", trade.trade_state
            trade.trade_state = "SUCCESS"
            trade.transaction_id = f"42000{secrets.randbelow(10**23):023d}"
            trade.success_time = rfc3339()
        return self.payment_notification(out_trade_no)

    def payment_notification(self, out_trade_no: str, **options: Any) -> Notification:
        trade = self.trades[out_trade_no]
        return self.notification(
            event_type="TRANSACTION.SUCCESS",
            summary="支付成功",
            original_type="transaction",
            resource=trade.as_json(),
            url=trade.notify_url,
            **options,
        )

    def settle_refund(self, out_refund_no: str, status: str = "SUCCESS") -> Notification:
        """The refund reaches the buyer (SUCCESS) or not (ABNORMAL, CLOSED)."""
        with self._lock:
            refund = self.refunds[out_refund_no]
            refund.status = status
            if status == "SUCCESS":
                refund.success_time = rfc3339()
        return self.refund_notification(out_refund_no)

    def refund_notification(self, out_refund_no: str, **options: Any) -> Notification:
        refund = self.refunds[out_refund_no]
        return self.notification(
            event_type=f"REFUND.{refund.status}",
            summary="退款成功" if refund.status == "SUCCESS" else "退款异常",
            original_type="refund",
            resource=refund.notification_resource(),
            url=refund.notify_url,
            **options,
        )

    def notification(
        self,
        *,
        event_type: str,
        summary: str,
        original_type: str,
        resource: dict[str, Any],
        url: str,
        event_id: str = "",
        timestamp: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
        serial: str = "",
        apiv3_key: str = "",
    ) -> Notification:
        """A notification as WeChat sends it; the keyword options make forged ones."""
        nonce = new_nonce(12)
        body = {
            "id": event_id or str(uuid.uuid4()),
            "create_time": rfc3339(),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": aes_gcm_encrypt(
                    key=apiv3_key or self.keys.apiv3_key,
                    nonce=nonce,
                    associated_data=original_type,
                    plaintext=json.dumps(resource, ensure_ascii=False),
                ),
                "associated_data": original_type,
                "nonce": nonce,
            },
        }
        text = json.dumps(body, ensure_ascii=False)
        headers = self.signature_headers(text, timestamp=timestamp, key=key, serial=serial)
        return Notification(url=url, headers=headers, body=text.encode(), event_id=body["id"])

    def signature_headers(
        self,
        text: str,
        *,
        timestamp: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
        serial: str = "",
    ) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = new_nonce()
        signer = key or self.answer_key or self.keys.platform
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": rsa_sign(signer, f"{stamp}\n{nonce}\n{text}\n"),
            "Wechatpay-Serial": serial or self.serial,
            "Wechatpay-Signature-Type": SCHEME,
        }

    # --- Serving ----------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> _Answer:
        text = raw.decode()
        problem = self._authorization_problem(method, path, headers, text)
        if problem:
            return _Answer(401, {"code": "SIGN_ERROR", "message": problem}, signed=False)
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        for index, (prefix, answer) in enumerate(self.queued):
            if path.startswith(prefix):
                del self.queued[index]
                return answer
        try:
            payload = json.loads(text) if text else {}
        except ValueError:
            return _Answer(400, {"code": "PARAM_ERROR", "message": "body is not JSON"})
        parts = urlsplit(path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        route = unquote(parts.path)
        with self._lock:
            return self._route(method, route, query, payload)

    def _authorization_problem(
        self, method: str, path: str, headers: dict[str, str], text: str
    ) -> str:
        if not headers.get("user-agent"):
            return "User-Agent is required"
        scheme, _, rest = headers.get("authorization", "").partition(" ")
        fields = dict(AUTHORIZATION_FIELD.findall(rest))
        if scheme != SCHEME:
            return "unknown authorization scheme"
        if fields.get("mchid") != MCHID or fields.get("serial_no") != self.keys.merchant_serial:
            return "unknown merchant or certificate serial"
        stamp, nonce = fields.get("timestamp", ""), fields.get("nonce_str", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_SECONDS or not nonce:
            return "timestamp or nonce_str missing or stale"
        message = f"{method}\n{path}\n{stamp}\n{nonce}\n{text}\n"
        try:
            self.keys.merchant.public_key().verify(
                base64.b64decode(fields.get("signature", "")),
                message.encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return "signature does not match"
        return ""

    def _route(
        self, method: str, route: str, query: dict[str, str], payload: dict[str, Any]
    ) -> _Answer:
        segments = route.strip("/").split("/")
        if method == "POST" and route == "/v3/pay/transactions/native":
            return self._create(payload)
        if segments[:4] == ["v3", "pay", "transactions", "out-trade-no"] and len(segments) >= 5:
            trade = self.trades.get(segments[4])
            if method == "GET" and len(segments) == 5:
                return self._query(trade, query)
            if method == "POST" and segments[5:] == ["close"]:
                return self._close(trade, payload)
        if method == "POST" and route == "/v3/refund/domestic/refunds":
            return self._refund(payload)
        if method == "GET" and segments[:4] == ["v3", "refund", "domestic", "refunds"]:
            refund = self.refunds.get("/".join(segments[4:]))
            if refund is None:
                return _Answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"})
            return _Answer(200, refund.as_json())
        if method == "GET" and route == "/v3/certificates":
            return self._certificates()
        return _Answer(404, {"code": "NOT_FOUND", "message": f"no route {method} {route}"})

    def _create(self, payload: dict[str, Any]) -> _Answer:
        amount = payload.get("amount") or {}
        problems = [
            payload.get("appid") != APPID and "appid",
            payload.get("mchid") != MCHID and "mchid",
            not 1 <= len(str(payload.get("description", "")).encode()) <= 127 and "description",
            not OUT_TRADE_NO.fullmatch(str(payload.get("out_trade_no", ""))) and "out_trade_no",
            not str(payload.get("notify_url", "")).startswith("http") and "notify_url",
            len(str(payload.get("attach", ""))) > 128 and "attach",
            not (isinstance(amount.get("total"), int) and amount["total"] > 0) and "total",
            amount.get("currency", "CNY") != "CNY" and "currency",
        ]
        try:
            expires = dt.datetime.fromisoformat(str(payload.get("time_expire")))
            if expires.tzinfo is None or expires <= dt.datetime.now(dt.UTC):
                problems.append("time_expire")
        except ValueError:
            problems.append("time_expire")
        if any(problems):
            return _param_error(problems)
        existing = self.trades.get(payload["out_trade_no"])
        if existing is not None:
            if existing.trade_state in {"SUCCESS", "REFUND"}:
                return _Answer(403, {"code": "ORDERPAID", "message": "订单已支付"})
            if existing.trade_state == "CLOSED":
                return _Answer(400, {"code": "ORDER_CLOSED", "message": "订单已关闭"})
            if (existing.total, existing.description) != (amount["total"], payload["description"]):
                return _Answer(403, {"code": "OUT_TRADE_NO_USED", "message": "商户订单号重复"})
            return _Answer(200, {"code_url": existing.code_url})
        trade = Trade(
            out_trade_no=payload["out_trade_no"],
            appid=payload["appid"],
            description=payload["description"],
            total=amount["total"],
            attach=str(payload.get("attach", "")),
            notify_url=payload["notify_url"],
            time_expire=payload["time_expire"],
            code_url=f"weixin://wxpay/bizpayurl?pr={new_nonce(7)}",
        )
        self.trades[trade.out_trade_no] = trade
        return _Answer(200, {"code_url": trade.code_url})

    def _query(self, trade: Trade | None, query: dict[str, str]) -> _Answer:
        if query.get("mchid") != MCHID:
            return _param_error(["mchid"])
        if trade is None:
            return _Answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        return _Answer(200, trade.as_json())

    def _close(self, trade: Trade | None, payload: dict[str, Any]) -> _Answer:
        if payload.get("mchid") != MCHID:
            return _param_error(["mchid"])
        if trade is None:
            return _Answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
        if trade.trade_state in {"SUCCESS", "REFUND"}:
            return _Answer(400, {"code": "ORDERPAID", "message": "订单已支付"})
        if trade.trade_state == "CLOSED":
            return _Answer(400, {"code": "ORDER_CLOSED", "message": "订单已关闭"})
        trade.trade_state = "CLOSED"
        return _Answer(204)

    def _refund(self, payload: dict[str, Any]) -> _Answer:
        amount = payload.get("amount") or {}
        problems = [
            not OUT_REFUND_NO.fullmatch(str(payload.get("out_refund_no", ""))) and "out_refund_no",
            len(str(payload.get("reason", "")).encode()) > 80 and "reason",
            not str(payload.get("notify_url", "")).startswith("http") and "notify_url",
            not (isinstance(amount.get("refund"), int) and amount["refund"] > 0) and "refund",
            not isinstance(amount.get("total"), int) and "total",
            amount.get("currency") != "CNY" and "currency",
        ]
        if any(problems):
            return _param_error(problems)
        trade = self.trades.get(str(payload.get("out_trade_no", "")))
        if trade is None:
            return _Answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"})
        existing = self.refunds.get(payload["out_refund_no"])
        if existing is not None:  # the same out_refund_no is the same refund
            if existing.refund != amount["refund"]:
                return _Answer(400, {"code": "INVALID_REQUEST", "message": "退款金额与之前不一致"})
            return _Answer(200, existing.as_json())
        if trade.trade_state not in {"SUCCESS", "REFUND"}:
            return _Answer(400, {"code": "INVALID_REQUEST", "message": "订单未支付"})
        if amount["total"] != trade.total:
            return _Answer(400, {"code": "INVALID_REQUEST", "message": "订单金额不一致"})
        refunded = sum(
            refund.refund
            for refund in self.refunds.values()
            if refund.out_trade_no == trade.out_trade_no
            and refund.status in {"SUCCESS", "PROCESSING"}
        )
        if refunded + amount["refund"] > trade.total:
            return _Answer(400, {"code": "INVALID_REQUEST", "message": "申请退款金额超过可退金额"})
        refund = RefundRecord(
            out_refund_no=payload["out_refund_no"],
            refund_id=f"50000{secrets.randbelow(10**24):024d}",
            out_trade_no=trade.out_trade_no,
            transaction_id=trade.transaction_id,
            refund=amount["refund"],
            total=trade.total,
            reason=str(payload.get("reason", "")),
            notify_url=payload["notify_url"],
        )
        if self.refunds_settle_at_once:
            refund.status, refund.success_time = "SUCCESS", rfc3339()
        self.refunds[refund.out_refund_no] = refund
        trade.trade_state = "REFUND"
        return _Answer(200, refund.as_json())

    def _certificates(self) -> _Answer:
        if self.mode != "certificate":
            return _Answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "无可用的平台证书"})
        certificate = self.keys.platform_certificate
        nonce = new_nonce(12)
        entry = {
            "serial_no": certificate_serial(certificate),
            "effective_time": rfc3339(certificate.not_valid_before_utc),
            "expire_time": rfc3339(certificate.not_valid_after_utc),
            "encrypt_certificate": {
                "algorithm": "AEAD_AES_256_GCM",
                "nonce": nonce,
                "associated_data": "certificate",
                "ciphertext": aes_gcm_encrypt(
                    key=self.keys.apiv3_key,
                    nonce=nonce,
                    associated_data="certificate",
                    plaintext=certificate_pem(certificate),
                ),
            },
        }
        return _Answer(200, {"data": [entry]})


def _param_error(problems: list[Any]) -> _Answer:
    names = ", ".join(str(problem) for problem in problems if problem)
    return _Answer(400, {"code": "PARAM_ERROR", "message": f"参数错误: {names}"})


def _handler_for(fake: WechatPayFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = fake.handle(self.command, self.path, headers, raw)
            text = "" if answer.body is None else json.dumps(answer.body, ensure_ascii=False)
            try:
                sent = json.loads(raw) if raw else {}
            except ValueError:
                sent = {"raw": raw.decode(errors="replace")}
            fake.seen.append(Seen(self.command, self.path, answer.status, sent))
            self.send_response(answer.status)
            self.send_header("Request-ID", str(uuid.uuid4()))
            if text:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            if answer.signed:
                for name, value in fake.signature_headers(text).items():
                    self.send_header(name, value)
            payload = text.encode()
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

    return Handler


@contextmanager
def running(keys: WechatPayKeys, *, mode: str = "public_key") -> Iterator[WechatPayFake]:
    fake = WechatPayFake(keys, mode=mode).start()
    try:
        yield fake
    finally:
        fake.stop()
