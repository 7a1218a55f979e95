"""Non-personalised baselines: all-time popularity and trending (time-decayed recent popularity)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from circlemart.recommend.algorithms.base import HistoryModel
from circlemart.recommend.algorithms.data import Interactions, decay_factors


def distinct_user_counts(
    data: Interactions, *, now: int, half_life_days: float | None
) -> np.ndarray:
    """Per item: how many distinct users touched it, each user counted once at their latest
    (decayed) event, so one heavy buyer does not make an item popular."""
    if not len(data):
        return np.zeros(data.n_items, dtype=np.float32)
    decay = decay_factors(data.timestamp, now=now, half_life_days=half_life_days)
    maxima = _max_per_pair(data, decay)
    return np.bincount(maxima[1], weights=maxima[0], minlength=data.n_items).astype(np.float32)


def _max_per_pair(data: Interactions, decay: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    key = data.user_index.astype(np.int64) * max(data.n_items, 1) + data.item_index
    order = np.lexsort((-decay, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    chosen = order[first]
    return decay[chosen], data.item_index[chosen]


class Popularity(HistoryModel):
    name = "popularity"

    def __init__(self) -> None:
        self.item_scores = np.zeros(0, dtype=np.float32)

    def fit(self, data: Interactions, *, now: int) -> Popularity:
        self.item_scores = distinct_user_counts(data, now=now, half_life_days=None)
        return self

    def score(self, history: sp.csr_matrix) -> np.ndarray:
        return np.tile(self.item_scores, (history.shape[0], 1))


class Trending(Popularity):
    """Popularity where a user's touch counts ½ after `half_life_days` — the recent window."""

    name = "trending"

    def __init__(self, *, half_life_days: float = 14.0) -> None:
        super().__init__()
        self.window_half_life_days = half_life_days

    def fit(self, data: Interactions, *, now: int) -> Trending:
        self.item_scores = distinct_user_counts(
            data, now=now, half_life_days=self.window_half_life_days
        )
        return self
