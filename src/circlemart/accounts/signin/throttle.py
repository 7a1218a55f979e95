"""Sign-in attempt counters in the shared cache (Redis with REDIS_URL, local memory otherwise).

Three counters, each expiring LOGIN_FAILURE_WINDOW_SECONDS after its first count:
- per (account, client): every attempt; past LOGIN_STEP_UP_AFTER_FAILURES the next attempt
  from that client needs a step-up;
- per account and per client: attempts whose password was checked and was wrong; past
  LOGIN_STEP_UP_ACCOUNT_FAILURES / LOGIN_STEP_UP_CLIENT_FAILURES every client of the account,
  or every account from the client, needs a step-up — except a device the owner signed in on.
The account is a keyed digest of the normalised email, known or not, so an unknown email is
counted and answered exactly like a registered one. Nothing is ever locked: a step-up can
always be passed, and the owner on another client is not asked for one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from circlemart.core.crypto import lookup_digest


@dataclass(frozen=True)
class Attempt:
    account: str  # keyed digest of the normalised email
    client: str  # "device:<id>" for a device the owner signed in on, else "ip:<address>"
    is_trusted_device: bool

    @classmethod
    def of(cls, *, email: str, ip: str, device_id: str | None) -> Attempt:
        client = f"device:{device_id}" if device_id else f"ip:{ip}"
        return cls(
            account=lookup_digest(f"signin:{email}"),
            client=client,
            is_trusted_device=device_id is not None,
        )


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()[:40]
    return f"signin:{kind}:{digest}"


def _pair_key(attempt: Attempt) -> str:
    return _key("pair", attempt.account, attempt.client)


def _account_key(attempt: Attempt) -> str:
    return _key("account", attempt.account)


def _client_key(attempt: Attempt) -> str:
    return _key("client", attempt.client)


def _count(key: str) -> int:
    """Add one; the window starts with the first count (increments keep the expiry)."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _peek(key: str) -> int:
    return int(cache.get(key) or 0)


def attempt_needs_step_up(attempt: Attempt) -> bool:
    """Count this attempt for its (account, client) pair; True when it is past a limit.

    Counting first (an atomic increment) means parallel guesses each get their own number,
    so a burst cannot slip more than the limit past the check.
    """
    if not settings.RATELIMIT_ENABLED:
        return False
    if _count(_pair_key(attempt)) > settings.LOGIN_STEP_UP_AFTER_FAILURES:
        return True
    if attempt.is_trusted_device:
        return False
    return (
        _peek(_account_key(attempt)) >= settings.LOGIN_STEP_UP_ACCOUNT_FAILURES
        or _peek(_client_key(attempt)) >= settings.LOGIN_STEP_UP_CLIENT_FAILURES
    )


def attempt_failed(attempt: Attempt) -> None:
    """A checked password was wrong: count it for the account and for the client."""
    if not settings.RATELIMIT_ENABLED:
        return
    _count(_account_key(attempt))
    _count(_client_key(attempt))


def attempt_succeeded(attempt: Attempt) -> None:
    """The right password (and any step-up) from this client: its pair starts afresh."""
    cache.delete(_pair_key(attempt))
