"""Interactions as index arrays, the user × item matrices built from them, and time splits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Interactions:
    user_index: np.ndarray  # int32
    item_index: np.ndarray  # int32
    weight: np.ndarray  # float32 > 0 (the caller's event weight: view 1, cart 3, buy 5 …)
    timestamp: np.ndarray  # int64 epoch seconds
    basket: np.ndarray  # int64 order/invoice id, -1 when none (co-purchase = same basket)
    is_purchase: np.ndarray  # bool
    users: np.ndarray  # int64 external ids (index → id)
    items: np.ndarray  # int64 external ids (index → id)

    @classmethod
    def from_records(
        cls,
        *,
        users: np.ndarray,
        items: np.ndarray,
        weights: np.ndarray,
        timestamps: np.ndarray,
        baskets: np.ndarray,
        is_purchase: np.ndarray,
        all_items: np.ndarray | None = None,
    ) -> Interactions:
        """External ids in, indexes out; `all_items` adds catalogue items nobody touched yet."""
        users = np.asarray(users, dtype=np.int64)
        items = np.asarray(items, dtype=np.int64)
        weights = np.asarray(weights, dtype=np.float32)
        timestamps = np.asarray(timestamps, dtype=np.int64)
        baskets = np.asarray(baskets, dtype=np.int64)
        is_purchase = np.asarray(is_purchase, dtype=bool)
        lengths = {len(a) for a in (users, items, weights, timestamps, baskets, is_purchase)}
        if len(lengths) != 1:
            raise ValueError(
                "users, items, weights, timestamps, baskets and is_purchase differ in length"
            )
        if len(weights) and not bool(np.all(weights > 0)):
            raise ValueError("every interaction weight must be > 0")
        user_ids, user_index = np.unique(users, return_inverse=True)
        known_items = (
            items
            if all_items is None
            else np.concatenate([items, np.asarray(all_items, dtype=np.int64)])
        )
        item_ids = np.unique(known_items)
        item_index = np.searchsorted(item_ids, items)
        return cls(
            user_index=user_index.astype(np.int32),
            item_index=item_index.astype(np.int32),
            weight=weights,
            timestamp=timestamps,
            basket=baskets,
            is_purchase=is_purchase,
            users=user_ids,
            items=item_ids,
        )

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def __len__(self) -> int:
        return len(self.user_index)

    def select(self, mask: np.ndarray) -> Interactions:
        """The rows where `mask` holds, keeping the same user and item index spaces."""
        return Interactions(
            user_index=self.user_index[mask],
            item_index=self.item_index[mask],
            weight=self.weight[mask],
            timestamp=self.timestamp[mask],
            basket=self.basket[mask],
            is_purchase=self.is_purchase[mask],
            users=self.users,
            items=self.items,
        )


def split_by_time(data: Interactions, at: int) -> tuple[Interactions, Interactions]:
    """(everything strictly before `at`, everything at or after it), same index spaces."""
    before = data.timestamp < at
    return data.select(before), data.select(~before)


def decay_factors(timestamp: np.ndarray, *, now: int, half_life_days: float | None) -> np.ndarray:
    """exp-decay multiplier per event: 1 at `now`, ½ one half-life earlier; 1 when no half-life."""
    if half_life_days is None or half_life_days <= 0:
        return np.ones(len(timestamp), dtype=np.float32)
    age_days = np.maximum(now - timestamp, 0) / SECONDS_PER_DAY
    return np.power(0.5, age_days / half_life_days).astype(np.float32)


def interaction_matrix(
    data: Interactions,
    *,
    now: int | None = None,
    half_life_days: float | None = None,
    binary: bool = False,
) -> sp.csr_matrix:
    """users × items float32; repeated events add up (optionally time-decayed) or are 0/1."""
    if binary:
        values = np.ones(len(data), dtype=np.float32)
    else:
        reference = int(data.timestamp.max()) if now is None and len(data) else (now or 0)
        values = data.weight * decay_factors(
            data.timestamp, now=reference, half_life_days=half_life_days
        )
    matrix = sp.csr_matrix(
        (values, (data.user_index, data.item_index)),
        shape=(data.n_users, data.n_items),
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    if binary:
        matrix.data[:] = 1.0
    return matrix


def last_seen_days(data: Interactions, *, now: int) -> sp.csr_matrix:
    """users × items: 1 + days since the user last touched the item (0 = never), float32."""
    if not len(data):
        return sp.csr_matrix((data.n_users, data.n_items), dtype=np.float32)
    order = np.lexsort((data.timestamp, data.item_index, data.user_index))
    users, items, stamps = data.user_index[order], data.item_index[order], data.timestamp[order]
    is_last = np.ones(len(order), dtype=bool)
    is_last[:-1] = (users[1:] != users[:-1]) | (items[1:] != items[:-1])
    days = 1.0 + np.maximum(now - stamps[is_last], 0) / SECONDS_PER_DAY
    return sp.csr_matrix(
        (days.astype(np.float32), (users[is_last], items[is_last])),
        shape=(data.n_users, data.n_items),
    )
