"""Proof-of-work challenges: the step-up that costs a stranger time and the owner a second.

The server signs a challenge naming the account, a difficulty k and an expiry. The client
finds a nonce (a short string) such that sha256(token + nonce), over the UTF-8 bytes of the
two strings joined, starts with k zero bits, and sends both back. A solution is accepted once
(marked used in the cache until the challenge would have expired anyway), only for the account
it was issued for, and only before it expires. The sign-in page solves it in the browser
(static/accounts/js/challenge.js); API clients do the same loop (docs/api.md).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.functional import Promise

from circlemart.accounts import errors
from circlemart.core import clock
from circlemart.core.errors import NotAuthenticated

ALGORITHM = "sha256-leading-zero-bits"
_SALT = "circlemart.accounts.signin.challenge"
MAX_TOKEN_LENGTH = 400
MAX_NONCE_LENGTH = 64


@dataclass(frozen=True)
class Challenge:
    token: str
    difficulty: int
    expires_in: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "algorithm": ALGORITHM,
            "difficulty": self.difficulty,
            "expires_in": self.expires_in,
        }


class ChallengeRequired(NotAuthenticated):
    """401 `challenge_required`; the new challenge rides in the error body."""

    code = errors.CHALLENGE_REQUIRED

    def __init__(self, message: str | Promise, *, challenge: Challenge) -> None:
        super().__init__(message, field="challenge", extra={"challenge": challenge.as_dict()})
        self.challenge = challenge


def challenge_issue(*, account: str) -> Challenge:
    ttl = settings.LOGIN_CHALLENGE_TTL_SECONDS
    difficulty = settings.LOGIN_CHALLENGE_BITS
    payload = {
        "a": account[:32],
        "k": difficulty,
        "e": int(clock.now().timestamp()) + ttl,
        "r": secrets.token_urlsafe(9),
    }
    return Challenge(
        token=signing.dumps(payload, salt=_SALT), difficulty=difficulty, expires_in=ttl
    )


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def challenge_solved(*, account: str, token: str, nonce: str) -> bool:
    """True once for a correct, unexpired solution of a challenge issued for this account."""
    if not token or not nonce or len(token) > MAX_TOKEN_LENGTH or len(nonce) > MAX_NONCE_LENGTH:
        return False
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return False
    if not isinstance(payload, dict) or payload.get("a") != account[:32]:
        return False
    expires_at, difficulty = payload.get("e"), payload.get("k")
    if not isinstance(expires_at, int) or not isinstance(difficulty, int):
        return False
    remaining = expires_at - clock.now().timestamp()
    if remaining <= 0:
        return False
    digest = hashlib.sha256((token + nonce).encode()).digest()
    if leading_zero_bits(digest) < difficulty:
        return False
    # The first to present the solution uses it up: a replay, even in parallel, is refused.
    used_key = "signin:challenge-used:" + hashlib.sha256(token.encode()).hexdigest()[:40]
    return bool(cache.add(used_key, 1, timeout=int(remaining) + 1))
