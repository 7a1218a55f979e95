"""Buy-again: a user's own past purchases ranked by frequency × recency, and each item's typical
re-purchase cycle."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from circlemart.recommend.algorithms.base import HistoryModel
from circlemart.recommend.algorithms.data import SECONDS_PER_DAY, Interactions, interaction_matrix


def purchase_days(data: Interactions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (user, item, day) purchase triples sorted by user, item, day."""
    bought = data.select(data.is_purchase)
    days = bought.timestamp // SECONDS_PER_DAY
    triples = np.unique(
        np.stack([bought.user_index.astype(np.int64), bought.item_index.astype(np.int64), days]),
        axis=1,
    )
    return triples[0], triples[1], triples[2]


def repeat_statistics(data: Interactions, *, min_repeats: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(repeat_days, repeat_rate) per item: the median gap in days between one user's
    purchases of the item on different days (0 when fewer than `min_repeats` gaps exist), and the
    share of the item's buyers who bought it on more than one day."""
    users, items, days = purchase_days(data)
    repeat_days = np.zeros(data.n_items, dtype=np.float32)
    repeat_rate = np.zeros(data.n_items, dtype=np.float32)
    if len(users) == 0:
        return repeat_days, repeat_rate
    same_pair = (users[1:] == users[:-1]) & (items[1:] == items[:-1])
    gap_items = items[1:][same_pair]
    gaps = (days[1:] - days[:-1])[same_pair]
    order = np.argsort(gap_items, kind="stable")
    gap_items, gaps = gap_items[order], gaps[order]
    boundaries = np.flatnonzero(np.diff(gap_items)) + 1
    for item_gaps, item in zip(
        np.split(gaps, boundaries), np.split(gap_items, boundaries), strict=True
    ):
        if len(item_gaps) >= min_repeats:
            repeat_days[item[0]] = float(np.median(item_gaps))
    pair_start = np.ones(len(users), dtype=bool)
    pair_start[1:] = ~same_pair
    pair_id = np.cumsum(pair_start) - 1
    days_per_pair = np.bincount(pair_id)
    pair_item = items[pair_start]
    buyers = np.bincount(pair_item, minlength=data.n_items)
    repeaters = np.bincount(pair_item[days_per_pair >= 2], minlength=data.n_items)
    np.divide(repeaters, buyers, out=repeat_rate, where=buyers > 0)
    return repeat_days, repeat_rate


class BuyAgain(HistoryModel):
    name = "buy_again"

    def __init__(
        self, *, half_life_days: float | None = 60.0, repeat_rate_power: float = 0.0
    ) -> None:
        self.half_life_days = half_life_days
        self.repeat_rate_power = repeat_rate_power
        self.repeat_days = np.zeros(0, dtype=np.float32)
        self.repeat_rate = np.zeros(0, dtype=np.float32)

    def fit(self, data: Interactions, *, now: int) -> BuyAgain:
        self.repeat_days, self.repeat_rate = repeat_statistics(data)
        return self

    def history(self, data: Interactions, *, now: int) -> sp.csr_matrix:
        return interaction_matrix(
            data.select(data.is_purchase), now=now, half_life_days=self.half_life_days
        )

    def score(self, history: sp.csr_matrix) -> np.ndarray:
        # frequency × recency is the decayed purchase sum itself; items that people re-buy
        # can be favoured by repeat_rate_power > 0
        scores = np.asarray(history.todense(), dtype=np.float32)
        if self.repeat_rate_power:
            scores *= np.power(0.05 + self.repeat_rate, self.repeat_rate_power)[None, :]
        return scores
