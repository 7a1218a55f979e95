"""Small hand-made interaction sets the algorithm tests share."""

from __future__ import annotations

import numpy as np

from circlemart.recommend.algorithms.data import SECONDS_PER_DAY, Interactions

NOW = 1_700_000_000


def interactions(
    rows: list[tuple[int, int, int]], *, all_items: list[int] | None = None, purchase: bool = True
) -> Interactions:
    """rows of (user id, item id, days ago); each row its own basket."""
    users = np.array([r[0] for r in rows], dtype=np.int64)
    items = np.array([r[1] for r in rows], dtype=np.int64)
    stamps = np.array([NOW - r[2] * SECONDS_PER_DAY for r in rows], dtype=np.int64)
    return Interactions.from_records(
        users=users,
        items=items,
        weights=np.ones(len(rows), dtype=np.float32),
        timestamps=stamps,
        baskets=np.arange(len(rows), dtype=np.int64),
        is_purchase=np.full(len(rows), purchase),
        all_items=None if all_items is None else np.array(all_items, dtype=np.int64),
    )


def two_clusters() -> Interactions:
    """Users 1-4 buy from items 10-12, users 5-8 from items 20-22; user 9 bought only 10."""
    rows: list[tuple[int, int, int]] = []
    for user in (1, 2, 3, 4):
        rows.extend((user, item, 5 + user) for item in (10, 11, 12))
    for user in (5, 6, 7, 8):
        rows.extend((user, item, 5 + user) for item in (20, 21, 22))
    rows.append((9, 10, 1))
    return interactions(rows)


def empty(*, all_items: list[int] | None = None) -> Interactions:
    return interactions([], all_items=all_items)
