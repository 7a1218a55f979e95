"""A fake of Alipay's OpenAPI v2 gateway for tests: a real HTTP server on 127.0.0.1 (random
port) that verifies the merchant's RSA2 request signatures the way Alipay documents them, keeps
trades and refunds in memory, answers signed with its own "Alipay" key pair, and builds the
asynchronous notifications Alipay would post (valid, forged, tampered) for the tests to deliver.

Signatures, as documented by Alipay (RSA2 = SHA256withRSA, PKCS#1 v1.5, base64):
- requests: every parameter but `sign` (and empty ones), sorted by name, joined `k=v` with `&`,
  signed with the app's private key;
- synchronous answers: the exact JSON text of `<method>_response`, signed with Alipay's key,
  beside it as `sign`;
- notifications: every parameter but `sign` and `sign_type`, sorted, joined `k=v` with `&`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.http import HttpResponse
from django.test import Client

BEIJING = timezone(timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# How far the request timestamp may be from Beijing time before the fake refuses it.
TIMESTAMP_TOLERANCE = timedelta(minutes=15)
AMOUNT = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]{1,2})?")
OUT_TRADE_NO = re.compile(r"[A-Za-z0-9_]{1,64}")
PAY_PRODUCTS = {
    "alipay.trade.page.pay": "FAST_INSTANT_TRADE_PAY",
    "alipay.trade.wap.pay": "QUICK_WAP_WAY",
}
SELLER_ID = "2088102177846875"
BUYER_ID = "2088102177846880"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def bare_base64_public_key(key: rsa.RSAPrivateKey) -> str:
    """How Alipay's open platform shows its public key: base64 DER without PEM armour."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def rsa2_sign(key: rsa.RSAPrivateKey, text: str) -> str:
    signature = key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def rsa2_verify(key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, text.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def signing_text(params: dict[str, str], *, leave_out: tuple[str, ...], keep_empty: bool) -> str:
    """Requests are signed without their empty parameters; notifications are checked over
    every parameter they carry (Alipay's reference verifier keeps empty ones)."""
    items = sorted(
        (k, v) for k, v in params.items() if k not in leave_out and (keep_empty or v != "")
    )
    return "&".join(f"{k}={v}" for k, v in items)


def beijing_now() -> datetime:
    return datetime.now(BEIJING)


def parse_beijing(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=BEIJING)


def fen(amount: str) -> int:
    return int(Decimal(amount) * 100)


def yuan(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"


@dataclass
class FakeRefund:
    out_request_no: str
    amount: int
    reason: str
    refunded_at: datetime


@dataclass
class FakeTrade:
    out_trade_no: str
    total_amount: int
    total_amount_text: str
    subject: str
    product_code: str
    notify_url: str
    return_url: str
    time_expire: datetime | None
    created_at: datetime
    status: str = "WAIT_BUYER_PAY"
    trade_no: str = ""
    paid_at: datetime | None = None
    closed_at: datetime | None = None
    refunds: dict[str, FakeRefund] = field(default_factory=dict)

    @property
    def refunded(self) -> int:
        return sum(refund.amount for refund in self.refunds.values())


@dataclass(frozen=True)
class Notification:
    """A notification as Alipay posts it: form fields, to the trade's notify_url."""

    params: dict[str, str]
    notify_url: str

    @property
    def body(self) -> bytes:
        return urlencode(self.params).encode()

    @property
    def path(self) -> str:
        return urlsplit(self.notify_url).path

    def changed(self, **changes: str) -> Notification:
        """The same notification with fields changed after it was signed (tampered)."""
        return Notification(params={**self.params, **changes}, notify_url=self.notify_url)


class AlipayFault(Exception):
    """A buyer action the trade's state does not allow (paying a closed trade, …)."""


class FakeAlipay:
    """Alipay's gateway for one merchant app. Use as a context manager (starts the server)."""

    def __init__(
        self,
        *,
        app_id: str,
        merchant_public_key: rsa.RSAPublicKey,
        alipay_key: rsa.RSAPrivateKey,
    ) -> None:
        self.app_id = app_id
        self.merchant_public_key = merchant_public_key
        self.alipay_key = alipay_key
        self.trades: dict[str, FakeTrade] = {}
        # (method, biz_content) of every API call that passed the signature check, in order.
        self.calls: list[tuple[str, dict[str, Any]]] = []
        # Requests refused for their signature or common parameters: (method, sub_code).
        self.refused: list[tuple[str, str]] = []
        # Notifications Alipay would have posted, oldest first.
        self.notifications: list[Notification] = []
        # Faults the next API calls answer with, one each: "http_502", "slow", "garbage",
        # "unsigned", "wrong_key", "tampered", "system_error", "refuse:<sub_code>" (a signed
        # business refusal), "lost_answer" (does the work, then answers 502 as if the answer
        # got lost on the way).
        self.faults: deque[str] = deque()
        self.slow_seconds = 2.0
        # The fake's idea of "now" for trade deadlines (tests move it forward).
        self.clock_offset = timedelta()
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- Server ---------------------------------------------------------------------------------

    @property
    def gateway_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/gateway.do"

    def __enter__(self) -> FakeAlipay:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
                return

            def do_GET(self) -> None:
                self._handle(urlsplit(self.path).query)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = self.rfile.read(length).decode("utf-8")
                query = urlsplit(self.path).query
                self._handle("&".join(part for part in (query, form) if part))

            def _handle(self, query: str) -> None:
                if urlsplit(self.path).path != "/gateway.do":
                    self._send(404, b"not found", "text/plain")
                    return
                status, body, content_type = fake.handle(query)
                self._send(status, body, content_type)

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out
                    return

        return Handler

    def now(self) -> datetime:
        return beijing_now() + self.clock_offset

    # --- Requests -------------------------------------------------------------------------------

    def handle(self, query: str) -> tuple[int, bytes, str]:
        params = dict(parse_qsl(query, keep_blank_values=True))
        method = params.get("method", "")
        if method in PAY_PRODUCTS:
            return self._cashier(method, params)
        response_key = method.replace(".", "_") + "_response"
        refusal = self._check_request(params)
        if refusal is not None:
            self.refused.append((method, refusal))
            # Alipay does not sign the answer to a request it could not authenticate.
            body = {response_key: _error("40002", "Invalid Arguments", refusal)}
            return 200, json.dumps(body).encode(), "application/json;charset=utf-8"
        biz = json.loads(params.get("biz_content") or "{}")
        fault = self.faults.popleft() if self.faults else ""
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if fault == "http_502":
            return 502, b"<html>Bad Gateway</html>", "text/html"
        if fault == "garbage":
            return 200, b"<html>maintenance</html>", "text/html"
        if fault.startswith("refuse:"):  # a business refusal, e.g. "refuse:ACQ.SYSTEM_ERROR"
            payload = _error("40004", "Business Failed", fault.removeprefix("refuse:"))
            return 200, self._signed(response_key, payload), "application/json;charset=utf-8"
        if fault == "system_error":
            payload = _error("20000", "Service Currently Unavailable", "isp.unknow-error")
            return 200, self._signed(response_key, payload), "application/json;charset=utf-8"
        with self._lock:
            self.calls.append((method, biz))
            payload = self._api(method, biz)
        if fault == "lost_answer":
            return 502, b"<html>Bad Gateway</html>", "text/html"
        if fault == "unsigned":
            return 200, json.dumps({response_key: payload}).encode(), "application/json"
        if fault == "wrong_key":
            body = self._signed(response_key, payload, key=new_rsa_key())
            return 200, body, "application/json;charset=utf-8"
        if fault == "tampered":
            forged = {**payload, "trade_status": "TRADE_SUCCESS", "fund_change": "Y"}
            signature = rsa2_sign(self.alipay_key, _json(payload))
            body = f'{{"{response_key}":{_json(forged)},"sign":"{signature}"}}'.encode()
            return 200, body, "application/json;charset=utf-8"
        return 200, self._signed(response_key, payload), "application/json;charset=utf-8"

    def _check_request(self, params: dict[str, str]) -> str | None:
        """The gateway's checks of a request's common parameters and signature."""
        signature = params.get("sign", "")
        if params.get("sign_type") != "RSA2":
            return "isv.invalid-signature-type"
        text = signing_text(params, leave_out=("sign",), keep_empty=False)
        if not signature or not rsa2_verify(self.merchant_public_key, text, signature):
            return "isv.invalid-signature"
        if params.get("app_id") != self.app_id:
            return "isv.invalid-app-id"
        if params.get("charset", "").lower() != "utf-8" or params.get("version") != "1.0":
            return "isv.invalid-parameter"
        try:
            stamped = parse_beijing(params.get("timestamp", ""))
        except ValueError:
            return "isv.invalid-timestamp"
        if abs(stamped - beijing_now()) > TIMESTAMP_TOLERANCE:
            return "isv.invalid-timestamp"
        return None

    def _signed(
        self, response_key: str, payload: dict[str, Any], *, key: rsa.RSAPrivateKey | None = None
    ) -> bytes:
        text = _json(payload)
        signature = rsa2_sign(key or self.alipay_key, text)
        return f'{{"{response_key}":{text},"sign":"{signature}"}}'.encode()

    def _api(self, method: str, biz: dict[str, Any]) -> dict[str, Any]:
        handlers = {
            "alipay.trade.query": self._trade_query,
            "alipay.trade.close": self._trade_close,
            "alipay.trade.refund": self._trade_refund,
            "alipay.trade.fastpay.refund.query": self._refund_query,
        }
        if method not in handlers:
            return _error("40004", "Business Failed", "isv.invalid-method")
        trade = self.trades.get(str(biz.get("out_trade_no", "")))
        if trade is None:
            return _error("40004", "Business Failed", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        self._expire_if_due(trade)
        return handlers[method](trade, biz)

    def _trade_query(self, trade: FakeTrade, biz: dict[str, Any]) -> dict[str, Any]:
        answer = {
            **_success(),
            "out_trade_no": trade.out_trade_no,
            "trade_status": trade.status,
            "total_amount": yuan(trade.total_amount),
            "buyer_logon_id": "csq***@sandbox.com",
        }
        if trade.trade_no:
            answer["trade_no"] = trade.trade_no
        if trade.paid_at is not None:
            answer["send_pay_date"] = trade.paid_at.strftime(TIME_FORMAT)
            answer["buyer_pay_amount"] = yuan(trade.total_amount)
            answer["receipt_amount"] = yuan(trade.total_amount)
            answer["fund_bill_list"] = [
                {"amount": yuan(trade.total_amount), "fund_channel": "ALIPAYACCOUNT"}
            ]
        return answer

    def _trade_close(self, trade: FakeTrade, biz: dict[str, Any]) -> dict[str, Any]:
        if trade.status != "WAIT_BUYER_PAY":
            return _error("40004", "Business Failed", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        trade.status = "TRADE_CLOSED"
        trade.closed_at = self.now()
        return {**_success(), "out_trade_no": trade.out_trade_no}

    def _trade_refund(self, trade: FakeTrade, biz: dict[str, Any]) -> dict[str, Any]:
        amount_text = str(biz.get("refund_amount", ""))
        if not AMOUNT.fullmatch(amount_text) or fen(amount_text) <= 0:
            return _error("40004", "Business Failed", "ACQ.INVALID_PARAMETER", "参数无效")
        amount = fen(amount_text)
        out_request_no = str(biz.get("out_request_no") or trade.out_trade_no)
        existing = trade.refunds.get(out_request_no)
        if existing is not None:
            if existing.amount != amount:
                return _error("40004", "Business Failed", "ACQ.DISCORDANT_REPEAT_REQUEST")
            return self._refund_answer(trade, fund_change="N")  # nothing moves twice
        if trade.status == "TRADE_CLOSED" and trade.paid_at is None:
            return _error("40004", "Business Failed", "ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
        if trade.status != "TRADE_SUCCESS":
            return _error("40004", "Business Failed", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        if amount > trade.total_amount - trade.refunded:
            return _error("40004", "Business Failed", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
        refund = FakeRefund(
            out_request_no=out_request_no,
            amount=amount,
            reason=str(biz.get("refund_reason", "")),
            refunded_at=self.now(),
        )
        trade.refunds[out_request_no] = refund
        if trade.refunded == trade.total_amount:
            trade.status = "TRADE_CLOSED"
            trade.closed_at = refund.refunded_at
        self.notifications.append(self._refund_notification(trade, refund))
        return self._refund_answer(trade, fund_change="Y")

    def _refund_answer(self, trade: FakeTrade, *, fund_change: str) -> dict[str, Any]:
        return {
            **_success(),
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": "csq***@sandbox.com",
            "fund_change": fund_change,
            "refund_fee": yuan(trade.refunded),
            "gmt_refund_pay": self.now().strftime(TIME_FORMAT),
        }

    def _refund_query(self, trade: FakeTrade, biz: dict[str, Any]) -> dict[str, Any]:
        refund = trade.refunds.get(str(biz.get("out_request_no", "")))
        answer: dict[str, Any] = {
            **_success(),
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
        }
        if refund is not None:
            answer |= {
                "out_request_no": refund.out_request_no,
                "total_amount": yuan(trade.total_amount),
                "refund_amount": yuan(refund.amount),
                "refund_status": "REFUND_SUCCESS",
            }
        return answer

    # --- The buyer at the cashier ---------------------------------------------------------------

    def _cashier(self, method: str, params: dict[str, str]) -> tuple[int, bytes, str]:
        """The hosted cashier the signed page/WAP pay URL opens: Alipay creates the trade."""
        refusal = self._check_request(params)
        if refusal is None:
            refusal = self._open_trade(method, params)
        if refusal is not None:
            self.refused.append((method, refusal))
            return 400, f"<html>error {refusal}</html>".encode(), "text/html; charset=utf-8"
        return 200, b"<html>Alipay cashier</html>", "text/html; charset=utf-8"

    def _open_trade(self, method: str, params: dict[str, str]) -> str | None:
        try:
            biz = json.loads(params.get("biz_content", ""))
        except ValueError:
            return "isv.invalid-biz-content"
        out_trade_no = str(biz.get("out_trade_no", ""))
        amount_text = str(biz.get("total_amount", ""))
        if not OUT_TRADE_NO.fullmatch(out_trade_no) or not AMOUNT.fullmatch(amount_text):
            return "ACQ.INVALID_PARAMETER"
        if biz.get("product_code") != PAY_PRODUCTS[method] or not biz.get("subject"):
            return "ACQ.INVALID_PARAMETER"
        time_expire = None
        if "time_expire" in biz:
            try:
                time_expire = parse_beijing(str(biz["time_expire"]))
            except ValueError:
                return "ACQ.INVALID_PARAMETER"
        with self._lock:
            self.calls.append((method, biz))
            trade = self.trades.get(out_trade_no)
            if trade is None:
                trade = FakeTrade(
                    out_trade_no=out_trade_no,
                    total_amount=fen(amount_text),
                    total_amount_text=amount_text,
                    subject=str(biz["subject"]),
                    product_code=str(biz["product_code"]),
                    notify_url=params.get("notify_url", ""),
                    return_url=params.get("return_url", ""),
                    time_expire=time_expire,
                    created_at=self.now(),
                )
                self.trades[out_trade_no] = trade
            elif (trade.total_amount, trade.subject) != (fen(amount_text), biz["subject"]):
                return "ACQ.CONTEXT_INCONSISTENT"
            self._expire_if_due(trade)
            if trade.status != "WAIT_BUYER_PAY":
                return (
                    "ACQ.TRADE_HAS_CLOSE"
                    if trade.status == "TRADE_CLOSED"
                    else "ACQ.TRADE_HAS_SUCCESS"
                )
        return None

    def open_cashier(self, url: str) -> tuple[int, str]:
        """The buyer's browser opens the signed URL the shop sent it to."""
        if not url.startswith(self.gateway_url):
            raise AlipayFault(f"not this gateway: {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (checked)
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def pay(self, out_trade_no: str) -> Notification:
        """The buyer pays at the cashier; returns the TRADE_SUCCESS notification."""
        with self._lock:
            trade = self.trades[out_trade_no]
            self._expire_if_due(trade)
            if trade.status != "WAIT_BUYER_PAY":
                raise AlipayFault(f"cannot pay a trade in {trade.status}")
            trade.status = "TRADE_SUCCESS"
            trade.trade_no = f"{self.now():%Y%m%d}22001{secrets.randbelow(10**12):012d}"
            trade.paid_at = self.now()
            notification = self.trade_notification(trade)
            self.notifications.append(notification)
            return notification

    def expire(self, out_trade_no: str) -> Notification:
        """The trade's deadline passes unpaid; returns the TRADE_CLOSED notification."""
        with self._lock:
            trade = self.trades[out_trade_no]
            if trade.status != "WAIT_BUYER_PAY":
                raise AlipayFault(f"cannot time out a trade in {trade.status}")
            trade.status = "TRADE_CLOSED"
            trade.closed_at = self.now()
            notification = self.trade_notification(trade)
            self.notifications.append(notification)
            return notification

    def finish(self, out_trade_no: str) -> Notification:
        """The refund period ends (TRADE_FINISHED): another notification about a paid trade."""
        with self._lock:
            trade = self.trades[out_trade_no]
            trade.status = "TRADE_FINISHED"
            notification = self.trade_notification(trade)
            self.notifications.append(notification)
            return notification

    def _expire_if_due(self, trade: FakeTrade) -> None:
        due = trade.time_expire is not None and trade.time_expire <= self.now()
        if trade.status == "WAIT_BUYER_PAY" and due:
            trade.status = "TRADE_CLOSED"
            trade.closed_at = trade.time_expire

    # --- Notifications --------------------------------------------------------------------------

    def _base_notification(self, trade: FakeTrade) -> dict[str, str]:
        params = {
            "notify_time": self.now().strftime(TIME_FORMAT),
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(17),
            "app_id": self.app_id,
            "auth_app_id": self.app_id,
            "charset": "utf-8",
            "version": "1.0",
            "out_trade_no": trade.out_trade_no,
            "trade_status": trade.status,
            "total_amount": yuan(trade.total_amount),
            "subject": trade.subject,
            "seller_id": SELLER_ID,
            "gmt_create": trade.created_at.strftime(TIME_FORMAT),
        }
        if trade.trade_no:
            params["trade_no"] = trade.trade_no
            params["buyer_id"] = BUYER_ID
        if trade.paid_at is not None:
            params["gmt_payment"] = trade.paid_at.strftime(TIME_FORMAT)
            params["receipt_amount"] = yuan(trade.total_amount)
            params["buyer_pay_amount"] = yuan(trade.total_amount)
            params["fund_bill_list"] = json.dumps(
                [{"amount": yuan(trade.total_amount), "fundChannel": "ALIPAYACCOUNT"}]
            )
        if trade.closed_at is not None:
            params["gmt_close"] = trade.closed_at.strftime(TIME_FORMAT)
        return params

    def trade_notification(self, trade: FakeTrade) -> Notification:
        return self.signed(self._base_notification(trade), notify_url=trade.notify_url)

    def _refund_notification(self, trade: FakeTrade, refund: FakeRefund) -> Notification:
        params = self._base_notification(trade)
        params["out_biz_no"] = refund.out_request_no
        params["refund_fee"] = yuan(trade.refunded)
        params["gmt_refund"] = refund.refunded_at.strftime(TIME_FORMAT) + ".000"
        return self.signed(params, notify_url=trade.notify_url)

    def signed(
        self,
        params: dict[str, str],
        *,
        notify_url: str,
        key: rsa.RSAPrivateKey | None = None,
    ) -> Notification:
        """Sign notification fields the documented way (with another key: a forgery)."""
        fields = {k: v for k, v in params.items() if k not in ("sign", "sign_type")}
        text = signing_text(fields, leave_out=(), keep_empty=True)
        signature = rsa2_sign(key or self.alipay_key, text)
        return Notification(
            params={**fields, "sign": signature, "sign_type": "RSA2"}, notify_url=notify_url
        )

    def forged(self, notification: Notification) -> Notification:
        """The same fields signed by someone who is not Alipay."""
        return self.signed(
            notification.params, notify_url=notification.notify_url, key=new_rsa_key()
        )

    def refund_notifications(self) -> list[Notification]:
        return [n for n in self.notifications if "out_biz_no" in n.params]


def deliver(client: Client, notification: Notification) -> HttpResponse:
    """Alipay's POST of a notification, through the Django test client."""
    return client.post(
        notification.path,
        data=notification.body,
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _success() -> dict[str, Any]:
    return {"code": "10000", "msg": "Success"}


def _error(code: str, msg: str, sub_code: str, sub_msg: str = "") -> dict[str, Any]:
    return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg or sub_code}
