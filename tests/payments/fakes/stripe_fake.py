"""A local Stripe: a real HTTP server on 127.0.0.1 (random port) speaking the part of Stripe's
v1 API the adapter uses, and the Stripe side of the story (buyers paying, refunds settling,
signed webhook events).

As Stripe does, it takes form-encoded bodies with bracketed keys (`line_items[0][quantity]`),
checks the Bearer secret key, honours Idempotency-Key (the same key and parameters replay the
first answer; the same key with other parameters is a 400 idempotency_error), refuses Checkout
Sessions that expire outside 30 minutes–24 hours and refunds beyond what is left, and signs
events as Stripe-Signature `t=…,v1=…` (HMAC-SHA256 of "<t>.<body>" with the endpoint secret the
test generated; a v1 per secret while one is rolled). Stripe's API answers themselves are not
signed (TLS authenticates them), so neither are the fake's.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from django.test import Client

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

WEBHOOK_PATH = "/payments/webhooks/stripe/"
API_VERSION = "2026-10-28.endive"
AMOUNT_STEP = {"isk": 100, "kwd": 10, "bhd": 10, "jod": 10, "omr": 10, "tnd": 10}
MIN_SESSION_SECONDS = 30 * 60
MAX_SESSION_SECONDS = 24 * 60 * 60


class StripeApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"type": kind, "message": message}
        if code:
            self.body["code"] = code
        if param:
            self.body["param"] = param


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    params: dict[str, Any]


@dataclass
class Idempotent:
    fingerprint: tuple[str, str, tuple[tuple[str, str], ...]]
    status: int
    body: bytes


@dataclass
class Faults:
    """What goes wrong with the next requests, in order."""

    statuses: list[int] = field(default_factory=list)  # answered instead of handling
    only_path: str = ""  # when set, only requests to paths starting with it are affected
    lost_answers: int = 0  # handled, then the connection drops before the answer
    delay_seconds: float = 0.0


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][0][c]=v` pairs into nested dicts; dicts whose keys are 0…n-1 become lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        path = [head, *re.findall(r"([^\[\]]*)\]", "[" + rest)] if rest else [head]
        node = root
        for index, part in enumerate(path):
            last = index == len(path) - 1
            if part == "":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        ordered = sorted(items, key=int)
        if ordered == [str(number) for number in range(len(ordered))]:
            return [items[key] for key in ordered]
    return items


def _integer(name: str, value: Any, *, minimum: int = 1) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StripeApiError(
            400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=name
        ) from None
    if number < minimum:
        raise StripeApiError(
            400, f"This value must be greater than or equal to {minimum}.", param=name
        )
    return number


def _required(params: dict[str, Any], name: str) -> Any:
    node: Any = params
    for part in name.replace("]", "").split("["):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise StripeApiError(
                400, f"Missing required param: {name}.", code="parameter_missing", param=name
            )
    return node


def _metadata(params: dict[str, Any], name: str) -> dict[str, str]:
    metadata = params.get(name, {}) if name == "metadata" else _nested(params, name)
    if not isinstance(metadata, dict):
        raise StripeApiError(400, "Invalid metadata.", param=name)
    for key, value in metadata.items():
        if len(key) > 40 or len(str(value)) > 500:
            raise StripeApiError(400, "Metadata key or value too long.", param=name)
    return {str(key): str(value) for key, value in metadata.items()}


def _nested(params: dict[str, Any], name: str) -> Any:
    node: Any = params
    for part in name.replace("]", "").split("["):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node


class StripeFake:
    """Start with `with StripeFake(...) as fake:`; point STRIPE_API_BASE at `fake.base_url`."""

    def __init__(self, *, secret_key: str, webhook_secret: str) -> None:
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.sessions: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: list[RecordedRequest] = []
        self.faults = Faults()
        self.crashes: list[str] = []  # the fake's own bugs, answered 500: tests assert none
        self.refund_initial_status = "pending"
        self._session_intent_metadata: dict[str, dict[str, str]] = {}
        self._idempotent: dict[str, Idempotent] = {}
        self._lock = threading.RLock()
        self._numbers = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- the server -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StripeFake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet tests

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StripeFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        url = urlsplit(handler.path)
        pairs = parse_qsl(raw if method == "POST" else url.query, keep_blank_values=True)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            lose_answer = replayed = False
            self.requests.append(RecordedRequest(method, url.path, headers, decode_form(pairs)))
            delay = self.faults.delay_seconds
            faulty = url.path.startswith(self.faults.only_path)
            if self.faults.statuses and faulty:
                status = self.faults.statuses.pop(0)
                body = _error_body(StripeApiError(status, "Fake failure.", kind="api_error"))
            else:
                try:
                    status, body, replayed = self._answer(method, url.path, headers, pairs)
                except Exception as exc:  # a bug of the fake: surfaced, never hidden
                    self.crashes.append(f"{method} {url.path}: {exc!r}")
                    status, body = (
                        500,
                        _error_body(StripeApiError(500, repr(exc), kind="api_error")),
                    )
                if self.faults.lost_answers and faulty:
                    self.faults.lost_answers -= 1
                    lose_answer = True
        if delay:
            time.sleep(delay)
        if lose_answer:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Request-Id", f"req_{next(self._numbers)}")
        if replayed:
            handler.send_header("Idempotent-Replayed", "true")
        handler.end_headers()
        handler.wfile.write(body)

    def _answer(
        self, method: str, path: str, headers: dict[str, str], pairs: list[tuple[str, str]]
    ) -> tuple[int, bytes, bool]:
        """(status, body, whether it replays an earlier answer to the same Idempotency-Key)"""
        if headers.get("authorization") != f"Bearer {self.secret_key}":
            return 401, _error_body(StripeApiError(401, "Invalid API Key provided.")), False
        key = headers.get("idempotency-key", "")
        fingerprint = (method, path, tuple(sorted(pairs)))
        if method == "POST" and key in self._idempotent:
            first = self._idempotent[key]
            if first.fingerprint != fingerprint:
                error = StripeApiError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                    kind="idempotency_error",
                )
                return 400, _error_body(error), False
            return first.status, first.body, True
        if method == "POST" and headers.get("content-type") != "application/x-www-form-urlencoded":
            return 400, _error_body(StripeApiError(400, "Form-encoded bodies only.")), False
        try:
            status, payload = 200, self._route(method, path, decode_form(pairs))
            body = json.dumps(payload).encode()
        except StripeApiError as exc:
            status, body = exc.status, _error_body(exc)
        if method == "POST" and key and status < 500:
            self._idempotent[key] = Idempotent(fingerprint, status, body)
        return status, body, False

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        match method, parts:
            case "POST", ["v1", "checkout", "sessions"]:
                return self._create_session(params)
            case "GET", ["v1", "checkout", "sessions", session_id]:
                return self._session_answer(session_id, params.get("expand", []))
            case "POST", ["v1", "checkout", "sessions", session_id, "expire"]:
                return self._expire(session_id)
            case "POST", ["v1", "refunds"]:
                return self._create_refund(params)
            case "GET", ["v1", "refunds", refund_id]:
                return copy.deepcopy(self._refund(refund_id))
        raise StripeApiError(404, f"Unrecognized request URL ({method}: {path}).")

    # --- the API --------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._numbers):04d}{secrets.token_hex(8)}"

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("mode") != "payment":
            raise StripeApiError(400, "Only mode=payment is faked.", param="mode")
        items = _required(params, "line_items")
        if not isinstance(items, list) or len(items) != 1:
            raise StripeApiError(400, "One line item is faked.", param="line_items")
        quantity = _integer("line_items[0][quantity]", items[0].get("quantity"))
        currency = str(_required(params, "line_items[0][price_data][currency]"))
        unit_amount = _integer(
            "line_items[0][price_data][unit_amount]",
            _required(params, "line_items[0][price_data][unit_amount]"),
        )
        if not str(_required(params, "line_items[0][price_data][product_data][name]")):
            raise StripeApiError(400, "A product name is required.")
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise StripeApiError(400, f"Invalid currency: {currency}.", param="currency")
        if unit_amount % AMOUNT_STEP.get(currency, 1):
            raise StripeApiError(
                400, "Invalid amount.", code="invalid_charge_amount", param="unit_amount"
            )
        success_url = str(_required(params, "success_url"))
        if not success_url.startswith(("http://", "https://")):
            raise StripeApiError(400, "Not a valid URL", code="url_invalid", param="success_url")
        now = int(time.time())
        expires_at = _integer("expires_at", params.get("expires_at", now + 86400))
        if not MIN_SESSION_SECONDS <= expires_at - now <= MAX_SESSION_SECONDS:
            raise StripeApiError(
                400,
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                "Checkout Session creation.",
                param="expires_at",
            )
        reference = str(params.get("client_reference_id", ""))
        if len(reference) > 200:
            raise StripeApiError(400, "client_reference_id is too long.")
        session_id = self._new_id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": unit_amount * quantity,
            "amount_total": unit_amount * quantity,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": reference or None,
            "created": now,
            "currency": currency,
            "expires_at": expires_at,
            "livemode": False,
            "metadata": _metadata(params, "metadata"),
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": success_url,
            "url": f"{self.base_url}/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        self._session_intent_metadata[session_id] = _metadata(
            params, "payment_intent_data[metadata]"
        )
        return copy.deepcopy(session)

    def _session(self, session_id: str) -> dict[str, Any]:
        if session_id not in self.sessions:
            raise StripeApiError(
                404, f"No such checkout.session: '{session_id}'", code="resource_missing"
            )
        return self.sessions[session_id]

    def _session_answer(self, session_id: str, expand: Any) -> dict[str, Any]:
        answer = copy.deepcopy(self._session(session_id))
        if "payment_intent" in (expand or []) and answer["payment_intent"]:
            answer["payment_intent"] = copy.deepcopy(self.intents[answer["payment_intent"]])
        return answer

    def _expire(self, session_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        if session["status"] != "open":
            raise StripeApiError(
                400,
                f"This Checkout Session is not in an expirable state ({session['status']}).",
            )
        session.update(status="expired", url=None)
        self._event("checkout.session.expired", session)
        return copy.deepcopy(session)

    def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent_id = str(_required(params, "payment_intent"))
        intent = self.intents.get(intent_id)
        if intent is None:
            raise StripeApiError(
                400,
                f"No such payment_intent: '{intent_id}'",
                code="resource_missing",
                param="payment_intent",
            )
        if intent["status"] != "succeeded":
            raise StripeApiError(
                400,
                "This PaymentIntent does not have a successful charge to refund.",
                code="charge_not_refundable",
            )
        left = intent["amount"] - intent["amount_refunded"]
        if left == 0:
            raise StripeApiError(
                400,
                f"Charge {intent['latest_charge']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = _integer("amount", params.get("amount", left))
        if amount > left:
            raise StripeApiError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                code="amount_too_large",
                param="amount",
            )
        intent["amount_refunded"] += amount
        refund = {
            "id": self._new_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": intent["latest_charge"],
            "created": int(time.time()),
            "currency": intent["currency"],
            "failure_reason": None,
            "metadata": _metadata(params, "metadata"),
            "payment_intent": intent_id,
            "reason": params.get("reason"),
            "status": self.refund_initial_status,
        }
        self.refunds[refund["id"]] = refund
        self._event("refund.created", refund)
        return copy.deepcopy(refund)

    def _refund(self, refund_id: str) -> dict[str, Any]:
        if refund_id not in self.refunds:
            raise StripeApiError(404, f"No such refund: '{refund_id}'", code="resource_missing")
        return self.refunds[refund_id]

    # --- what happens at Stripe's side ----------------------------------------------------

    def session_for_reference(self, reference: str) -> dict[str, Any]:
        with self._lock:
            found = [s for s in self.sessions.values() if s["client_reference_id"] == reference]
            assert len(found) == 1, found
            return found[0]

    def _complete(self, session_id: str, *, intent_status: str) -> dict[str, Any]:
        session = self._session(session_id)
        assert session["status"] == "open", session["status"]
        intent_id = self._new_id("pi")
        self.intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_refunded": 0,
            "currency": session["currency"],
            "latest_charge": self._new_id("ch"),
            "metadata": self._session_intent_metadata[session_id],
            "status": intent_status,
        }
        session.update(status="complete", payment_intent=intent_id, url=None)
        return session

    def pay(self, session_id: str) -> dict[str, Any]:
        """The buyer pays by card on the Checkout page: checkout.session.completed (paid)."""
        with self._lock:
            session = self._complete(session_id, intent_status="succeeded")
            session["payment_status"] = "paid"
            return self._event("checkout.session.completed", session)

    def pay_delayed(self, session_id: str) -> dict[str, Any]:
        """The buyer picks a delayed method (a bank debit): completed, but still unpaid."""
        with self._lock:
            session = self._complete(session_id, intent_status="processing")
            return self._event("checkout.session.completed", session)

    def settle_delayed(self, session_id: str, *, succeeded: bool) -> dict[str, Any]:
        with self._lock:
            session = self._session(session_id)
            intent = self.intents[session["payment_intent"]]
            if succeeded:
                intent["status"] = "succeeded"
                session["payment_status"] = "paid"
                return self._event("checkout.session.async_payment_succeeded", session)
            intent["status"] = "requires_payment_method"
            return self._event("checkout.session.async_payment_failed", session)

    def expire_now(self, session_id: str) -> dict[str, Any]:
        """Stripe's own clock runs out on an open session."""
        with self._lock:
            self._expire(session_id)
            return self.events[-1]

    def settle_refund(self, refund_id: str, status: str) -> list[dict[str, Any]]:
        """The bank answers: refund.updated and charge.refund.updated, as Stripe sends both."""
        with self._lock:
            refund = self._refund(refund_id)
            refund["status"] = status
            if status in {"failed", "canceled"}:
                refund["failure_reason"] = "expired_or_canceled_card"
                self.intents[refund["payment_intent"]]["amount_refunded"] -= refund["amount"]
            return [
                self._event("refund.updated", refund),
                self._event("charge.refund.updated", refund),
            ]

    # --- events ---------------------------------------------------------------------------

    def _event(self, event_type: str, data_object: dict[str, Any]) -> dict[str, Any]:
        event = {
            "id": self._new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": copy.deepcopy(data_object)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        self.events.append(event)
        return event

    def events_of(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == event_type]

    def signature(
        self, body: bytes, *, timestamp: int | None = None, keys: Iterable[str] | None = None
    ) -> str:
        signed_at = int(time.time()) if timestamp is None else timestamp
        digests = [
            hmac.new(secret.encode(), f"{signed_at}.".encode() + body, hashlib.sha256).hexdigest()
            for secret in (keys if keys is not None else [self.webhook_secret])
        ]
        return ",".join([f"t={signed_at}", *(f"v1={digest}" for digest in digests)])

    def deliver(
        self,
        client: Client,
        event: dict[str, Any],
        *,
        body: bytes | None = None,
        timestamp: int | None = None,
        keys: Iterable[str] | None = None,
        signature: str | None = None,
    ) -> TestResponse:
        """POST an event to the app's endpoint as Stripe does (signed unless told otherwise)."""
        payload = json.dumps(event).encode() if body is None else body
        header = (
            self.signature(payload, timestamp=timestamp, keys=keys)
            if signature is None
            else signature
        )
        return client.post(
            WEBHOOK_PATH,
            data=payload,
            content_type="application/json; charset=utf-8",
            headers={"Stripe-Signature": header, "User-Agent": "Stripe/1.0"},
        )

    def requests_to(self, method: str, path: str) -> Iterator[RecordedRequest]:
        return (r for r in self.requests if (r.method, r.path) == (method, path))


def _error_body(error: StripeApiError) -> bytes:
    return json.dumps({"error": error.body}).encode()
