"""Greedy re-ranking so no page is a wall of one category or brand: at most MAX_RUN in a row
and at most MAX_SHARE of a page from one category or one brand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
MAX_RUN = 2
MAX_SHARE = 0.3


def share_cap(page_size: int) -> int:
    """How many of one category or brand a page of this size may hold."""
    return max(MAX_RUN, int(page_size * MAX_SHARE))


def _run_too_long(page: list[T], key: Callable[[T], str], value: str) -> bool:
    if not value or len(page) < MAX_RUN:
        return False
    return all(key(item) == value for item in page[-MAX_RUN:])


def _fits(
    page: list[T], item: T, keys: Sequence[Callable[[T], str]], counts: list[Counter[str]], cap: int
) -> bool:
    for key, count in zip(keys, counts, strict=True):
        value = key(item)
        if value and (count[value] >= cap or _run_too_long(page, key, value)):
            return False
    return True


def _page(pool: list[T], size: int, keys: Sequence[Callable[[T], str]]) -> list[T]:
    """Take one page from the front of `pool` (removing what it takes), best first."""
    cap = share_cap(size)
    counts: list[Counter[str]] = [Counter() for _ in keys]
    page: list[T] = []
    skipped: list[T] = []
    while pool and len(page) < size:
        item = pool.pop(0)
        if _fits(page, item, keys, counts, cap):
            page.append(item)
            for key, count in zip(keys, counts, strict=True):
                count[key(item)] += 1
        else:
            skipped.append(item)
    # What did not fit goes back to the front, in order, for the next page.
    pool[:0] = skipped
    return page


def diversify(
    ranked: Sequence[T], *, page_size: int, pages: int, keys: Sequence[Callable[[T], str]]
) -> list[T]:
    """`pages` pages of `page_size`, each re-ranked greedily under the run and share limits.
    A page comes out short only when the pool has nothing else (the catalogue is one wall)."""
    pool = list(ranked)
    out: list[T] = []
    for _ in range(pages):
        page = _page(pool, page_size, keys)
        if not page:
            break
        out.extend(page)
    return out
