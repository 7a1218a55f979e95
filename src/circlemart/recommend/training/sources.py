"""The shop's interactions for training, read through the other apps' selectors: purchases,
cart adds, product views and clicks, long looks at a product page, likes, favourites and shares
of notes that tag products. Users who turned personalisation off are left out entirely.

Rows arrive in batches and are kept as numpy columns, so memory grows with the number of
interactions (about 40 bytes each), not with Python objects per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from circlemart.analytics.tracking import selectors as tracking_selectors
from circlemart.catalog import selectors as catalog_selectors
from circlemart.orders import selectors as order_selectors
from circlemart.recommend.algorithms.data import Interactions
from circlemart.recommend.models import PersonalisationPreference
from circlemart.social.selectors import notes as note_selectors

# The caller's event weights (the algorithms treat them as implicit confidence).
PURCHASE_WEIGHT = 5.0
EVENT_WEIGHTS = {"product_view": 1.0, "click": 1.0, "add_to_cart": 3.0}
LONG_LOOK_WEIGHT = 1.0  # a product page kept open at least LONG_LOOK_MS
LONG_LOOK_MS = 20_000
NOTE_WEIGHTS = {"like": 2.0, "favourite": 3.0, "share": 2.0}
DEFAULT_HISTORY_DAYS = 365
BATCH_ROWS = 20_000
NO_BASKET = -1

_PRODUCT_PATH = re.compile(r"^(?:/[a-z]{2}(?:-[a-z]+)?)?/p/(\d+)/")

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class TrainingData:
    interactions: Interactions
    item_texts: dict[int, str]
    counts: dict[str, int]  # rows read per source (opted-out users' left out), unknown products
    first_at: int | None  # epoch seconds of the oldest and newest interaction
    last_at: int | None


class _Columns:
    """Interaction rows gathered batch by batch into numpy arrays."""

    def __init__(self, excluded_users: set[int]) -> None:
        self._excluded = np.fromiter(excluded_users, dtype=np.int64, count=len(excluded_users))
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self._pending: list[tuple[int, int, float, int, int, bool]] = []
        self.counts: dict[str, int] = {}

    def add(
        self,
        source: str,
        rows: Iterable[tuple[int, int, float, int, int, bool]],
    ) -> None:
        """rows: (user_id, product_id, weight, epoch seconds, basket, is_purchase)."""
        self.counts.setdefault(source, 0)
        for row in rows:
            self._pending.append(row)
            if len(self._pending) >= BATCH_ROWS:
                self._flush(source)
        self._flush(source)

    def _flush(self, source: str) -> None:
        if not self._pending:
            return
        users, items, weights, stamps, baskets, purchases = zip(*self._pending, strict=True)
        self._pending = []
        columns = (
            np.asarray(users, dtype=np.int64),
            np.asarray(items, dtype=np.int64),
            np.asarray(weights, dtype=np.float32),
            np.asarray(stamps, dtype=np.int64),
            np.asarray(baskets, dtype=np.int64),
            np.asarray(purchases, dtype=bool),
        )
        keep = ~np.isin(columns[0], self._excluded)
        kept = tuple(column[keep] for column in columns)
        self.counts[source] = self.counts.get(source, 0) + int(keep.sum())
        if len(kept[0]):
            self._chunks.append(kept)

    def columns(self) -> tuple[np.ndarray, ...]:
        if not self._chunks:
            empty = (np.int64, np.int64, np.float32, np.int64, np.int64, bool)
            return tuple(np.zeros(0, dtype=dtype) for dtype in empty)
        return tuple(np.concatenate(parts) for parts in zip(*self._chunks, strict=True))


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def opted_out_user_ids() -> set[int]:
    """Users who turned personalised recommendations off: none of their events train a model."""
    return set(
        PersonalisationPreference.objects.filter(is_personalised=False).values_list(
            "user_id", flat=True
        )
    )


def _purchases(since: datetime) -> Iterator[tuple[int, int, float, int, int, bool]]:
    for buyer_id, product_id, order_id, paid_at in order_selectors.paid_lines_for_recommendations(
        since=since
    ):
        yield buyer_id, product_id, PURCHASE_WEIGHT, _seconds(paid_at), order_id, True


def _product_id(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _browsing(since: datetime) -> Iterator[tuple[int, int, float, int, int, bool]]:
    """Views, clicks and cart adds (their object is the product) and long looks at a product
    page (a dwell event's object is the page's path)."""
    names = [*EVENT_WEIGHTS, "dwell"]
    for name, user_id, object_id, at, ms in tracking_selectors.signed_in_events_for_recommendations(
        names=names, since=since
    ):
        if name == "dwell":
            match = _PRODUCT_PATH.match(object_id or "")
            if match is None or not isinstance(ms, int | float) or ms < LONG_LOOK_MS:
                continue
            yield user_id, int(match.group(1)), LONG_LOOK_WEIGHT, _seconds(at), NO_BASKET, False
            continue
        product_id = _product_id(object_id or "")
        if product_id is not None:
            yield user_id, product_id, EVENT_WEIGHTS[name], _seconds(at), NO_BASKET, False


def _note_engagements(since: datetime) -> Iterator[tuple[int, int, float, int, int, bool]]:
    for kind, user_id, product_id, at in note_selectors.product_engagements_for_recommendations(
        since=since
    ):
        yield user_id, product_id, NOTE_WEIGHTS[kind], _seconds(at), NO_BASKET, False


def _shares(since: datetime) -> Iterator[tuple[int, int, float, int, int, bool]]:
    """Shares of notes (server events, so a blocked script does not lose them) count for the
    products the note tags."""
    shares = [
        (user_id, object_id, at)
        for _name, user_id, object_id, at, _ms in (
            tracking_selectors.signed_in_events_for_recommendations(
                names=["note_shared"], since=since
            )
        )
        if (object_id or "").isdigit()
    ]
    for start in range(0, len(shares), BATCH_ROWS):
        batch = shares[start : start + BATCH_ROWS]
        tagged = note_selectors.products_tagged_by_notes({int(row[1]) for row in batch})
        for user_id, note_id, at in batch:
            for product_id in tagged.get(int(note_id), ()):
                yield user_id, product_id, NOTE_WEIGHTS["share"], _seconds(at), NO_BASKET, False


SOURCES: dict[str, Callable[[datetime], Iterator[tuple[int, int, float, int, int, bool]]]] = {
    "purchases": _purchases,
    "browsing": _browsing,
    "notes": _note_engagements,
    "shares": _shares,
}


def item_texts(item_ids: np.ndarray, *, batch_size: int = 1000) -> dict[int, str]:
    texts: dict[int, str] = {}
    ids = [int(item) for item in item_ids]
    for start in range(0, len(ids), batch_size):
        texts.update(
            catalog_selectors.product_texts_for_recommendations(ids[start : start + batch_size])
        )
    return texts


def training_data_load(
    *, now: datetime, history_days: int = DEFAULT_HISTORY_DAYS, progress: Progress | None = None
) -> TrainingData:
    """Everything a training needs from the shop, as of `now` (interactions after it are left
    out, so a run is reproducible from its recorded time)."""
    since = now - timedelta(days=history_days)
    until = _seconds(now)
    columns = _Columns(opted_out_user_ids())
    for number, (name, source) in enumerate(SOURCES.items()):
        if progress:
            progress(name, number)
        columns.add(name, (row for row in source(since) if row[3] <= until))
    users, items, weights, stamps, baskets, purchases = columns.columns()
    on_sale = np.asarray(catalog_selectors.on_sale_product_ids(), dtype=np.int64)
    if progress:
        progress("texts", len(SOURCES))
    texts = item_texts(np.union1d(np.unique(items), on_sale))
    # Client events name products by whatever id the page sent: only real products train.
    known = np.isin(items, np.fromiter(texts, dtype=np.int64, count=len(texts)))
    users, items, weights, stamps, baskets, purchases = (
        column[known] for column in (users, items, weights, stamps, baskets, purchases)
    )
    interactions = Interactions.from_records(
        users=users,
        items=items,
        weights=weights,
        timestamps=stamps,
        baskets=baskets,
        is_purchase=purchases,
        all_items=on_sale,
    )
    return TrainingData(
        interactions=interactions,
        item_texts=texts,
        counts={**columns.counts, "unknown_products": int((~known).sum())},
        first_at=int(stamps.min()) if len(stamps) else None,
        last_at=int(stamps.max()) if len(stamps) else None,
    )
