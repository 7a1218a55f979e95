"""Fixed-window rate limits on the shared cache (Redis in production, local memory by default).

`hit("login:ip:1.2.3.4", limit=10, window=60)` counts one attempt and raises RateLimited once
the window's budget is spent. Cache increments are atomic on both backends.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from circlemart.core.errors import RateLimited


def _bucket(key: str, window: int) -> tuple[str, int]:
    now = int(time.time())
    window_start = now - now % window
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"rl:{digest}:{window}:{window_start}", window_start + window - now


def hit(key: str, *, limit: int, window: int, field: str | None = None) -> int:
    """Count one attempt against `key`; returns the attempts so far in this window."""
    if not settings.RATELIMIT_ENABLED:
        return 0
    bucket, seconds_left = _bucket(key, window)
    cache.add(bucket, 0, timeout=window + 1)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise RateLimited(
            _("Too many attempts. Please try again in %(seconds)d seconds.")
            % {"seconds": max(seconds_left, 1)},
            retry_after=max(seconds_left, 1),
            field=field,
        )
    return int(count)


def reset(key: str, *, window: int) -> None:
    cache.delete(_bucket(key, window)[0])


def client_ip(request: HttpRequest) -> str:
    """The peer address. Behind a proxy set TRUSTED_PROXY_HOPS so X-Forwarded-For is used."""
    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(addresses) >= hops:
            return addresses[-hops]
    return str(request.META.get("REMOTE_ADDR", "unknown"))
