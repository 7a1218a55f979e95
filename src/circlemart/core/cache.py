"""Cache generations: a cached value's key carries the generation numbers of what it shows,
so bumping a generation makes every dependent entry unreachable at once (no key hunting).

With Redis the numbers live in Redis and bumps happen when the transaction commits. In the
embedded setup each process has its own local-memory cache, so the numbers live in the
database and a bump is part of the same transaction as the change: no process can read the
old generation after the change is visible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F

from circlemart.core.models import CacheGeneration

T = TypeVar("T")
_PREFIX = "gen:"


def _shared_cache() -> bool:
    return bool(settings.REDIS_URL)


def generations(names: Iterable[str]) -> dict[str, int]:
    wanted = list(dict.fromkeys(names))
    if _shared_cache():
        found = cache.get_many([_PREFIX + name for name in wanted])
        return {name: int(found.get(_PREFIX + name, 0)) for name in wanted}
    rows = dict(CacheGeneration.objects.filter(name__in=wanted).values_list("name", "value"))
    return {name: int(rows.get(name, 0)) for name in wanted}


def bump(*names: str) -> None:
    """Invalidate everything cached under these names (call inside the changing transaction)."""
    if not names:
        return
    if _shared_cache():
        transaction.on_commit(lambda: _bump_shared(names), robust=True)
        return
    for name in names:
        updated = CacheGeneration.objects.filter(name=name).update(value=F("value") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    CacheGeneration.objects.create(name=name, value=1)
            except IntegrityError:  # created by a concurrent bump
                CacheGeneration.objects.filter(name=name).update(value=F("value") + 1)


def _bump_shared(names: tuple[str, ...]) -> None:
    for name in names:
        key = _PREFIX + name
        cache.add(key, 0, timeout=None)
        cache.incr(key)


def cached(
    key: str,
    depends_on: Iterable[str],
    compute: Callable[[], T],
    timeout: int = 600,
    stamp: str | None = None,
) -> T:
    """`compute()` once per generation of everything it `depends_on` (pass `stamp` if known)."""
    full_key = f"c:{key}:{stamp if stamp is not None else stamp_of(depends_on)}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, timeout=timeout)
    return value


def stamp_of(depends_on: Iterable[str]) -> str:
    """A short token that changes whenever any dependency changes (for ETags)."""
    values = generations(depends_on)
    return "-".join(f"{name}={values[name]}" for name in sorted(values))
