"""How the test gateway's webhooks reach the app: a real HTTP POST, or (tests) in-process.

PAYMENTS_WEBHOOK_TRANSPORT is "http" (default), "in_process" (through django.test.Client, no
socket) or the dotted path of a class with the same `post` method.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import import_string


@runtime_checkable
class WebhookTransport(Protocol):
    def post(self, *, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        """POST `body` to `url`; return the HTTP status, raise OSError when unreachable."""


class HttpTransport:
    def post(self, *, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        if urlsplit(url).scheme not in {"http", "https"}:
            raise ValueError(f"refusing to POST to {url!r}")
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:  # a 4xx/5xx answer is an answer, not an outage
            return int(exc.code)


class InProcessTransport:
    """Posts through django.test.Client: the whole request stack, without a server."""

    def post(self, *, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        from django.test import Client  # only when configured: a test double at the HTTP port

        parts = urlsplit(url)
        extra = {name: value for name, value in headers.items() if name.lower() != "content-type"}
        client = Client(HTTP_HOST=parts.netloc or "testserver")
        response = client.post(
            parts.path, data=body, content_type="application/json", headers=extra
        )
        return int(response.status_code)


TRANSPORTS: dict[str, type[WebhookTransport]] = {
    "http": HttpTransport,
    "in_process": InProcessTransport,
}


def load_transport(name: str) -> WebhookTransport:
    transport_class = TRANSPORTS.get(name) or import_string(name)
    transport = transport_class()
    if not isinstance(transport, WebhookTransport):
        raise TypeError(f"{name} is not a WebhookTransport")
    return transport


def webhook_transport() -> WebhookTransport:
    return load_transport(settings.PAYMENTS_WEBHOOK_TRANSPORT)
