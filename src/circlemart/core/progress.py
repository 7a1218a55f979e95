"""Progress bars for long console steps (seeding, imports): tqdm, but no time estimate until a
few items are done. The first items of a step pay for warming up (imports, caches, the first
query of each kind), so an estimate from them is wildly off ("50 minutes" at 0 of 120)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")

# Items done before the bar shows a rate and a time left.
ESTIMATE_AFTER = 5
_WARMING_UP = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}, estimating…]"
_NO_TOTAL_WARMING_UP = "{l_bar}{bar}| {n_fmt} [{elapsed}]"


class Progress(tqdm):
    """A tqdm bar that says "estimating…" instead of a rate and an ETA for its first
    ESTIMATE_AFTER items; after that tqdm's moving average (recent items weigh most) soon
    forgets a slow start."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("dynamic_ncols", True)
        super().__init__(*args, **kwargs)

    @staticmethod
    def format_meter(n: float, total: float | None, elapsed: float, **kwargs: Any) -> str:
        if n < ESTIMATE_AFTER and not kwargs.get("bar_format"):
            kwargs["bar_format"] = _WARMING_UP if total else _NO_TOTAL_WARMING_UP
        return str(tqdm.format_meter(n, total, elapsed, **kwargs))


def progress(items: Iterable[T], *, enabled: bool = True, **kwargs: Any) -> Iterable[T]:
    """`items` with a Progress bar around them when `enabled` (else `items` unchanged)."""
    if not enabled:
        return items
    return Progress(items, **kwargs)
