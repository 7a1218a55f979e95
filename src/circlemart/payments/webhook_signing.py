"""The webhook signature scheme of the test gateway: HMAC-SHA256 over "<timestamp>.<body>".

The header reads `t=<unix seconds>,v1=<hex digest>`; the receiver rejects a bad digest and a
timestamp more than PAYMENTS_WEBHOOK_TOLERANCE_SECONDS away from its own clock (replays of an
old capture cannot be re-signed without the secret).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Circlemart-Gateway-Signature"


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret=secret, timestamp=timestamp, body=body)}"


def parse_signature_header(value: str) -> tuple[int, list[str]] | None:
    """(timestamp, candidate digests) or None when the header is unreadable."""
    timestamp: int | None = None
    digests: list[str] = []
    for part in value.split(","):
        name, _, item = part.strip().partition("=")
        if name == "t" and item.isdigit():
            timestamp = int(item)
        elif name == "v1" and item:
            digests.append(item)
    if timestamp is None or not digests:
        return None
    return timestamp, digests


def is_valid(*, secret: str, timestamp: int, body: bytes, digests: list[str]) -> bool:
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, digest) for digest in digests)
