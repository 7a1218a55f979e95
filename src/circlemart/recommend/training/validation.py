"""The validation metric a training records: the same pipeline trained on everything before
the last VALIDATION_DAYS, its served candidates scored against what each user then did (no
peeking: the held-out period is not seen). The scheduled retraining compares versions by it."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import scipy.sparse as sp

from circlemart.recommend.algorithms.data import SECONDS_PER_DAY, Interactions, split_by_time
from circlemart.recommend.evaluation.metrics import ndcg_at_k, recall_at_k

VALIDATION_DAYS = 14
K = 10
MIN_USERS = 5  # fewer users to score: no metric (noise, not a measurement)


def _ranked(candidates: sp.csr_matrix, row: int) -> list[int]:
    start, end = candidates.indptr[row], candidates.indptr[row + 1]
    items = candidates.indices[start:end]
    scores = candidates.data[start:end]
    return [int(item) for item in items[np.argsort(-scores, kind="stable")][:K]]


def validation_metrics(
    data: Interactions,
    *,
    item_texts: Mapping[int, str],
    neighbours: int,
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, float]:
    """{"validation_ndcg_at_10", "validation_recall_at_10", "validation_users"}, or {} when
    the history is too short to hold a period out."""
    from circlemart.recommend.algorithms.pipeline import train_arrays

    if not len(data):
        return {}
    cutoff = int(data.timestamp.max()) - VALIDATION_DAYS * SECONDS_PER_DAY
    past, future = split_by_time(data, cutoff)
    if not len(past) or not len(future):
        return {}
    seen = {int(user) for user in np.unique(past.user_index)}
    relevant: dict[int, set[int]] = {}
    for user, item in zip(future.user_index, future.item_index, strict=True):
        relevant.setdefault(int(user), set()).add(int(item))
    users = [user for user in relevant if user in seen]
    if len(users) < MIN_USERS:
        return {}
    trained = train_arrays(
        past,
        item_texts=item_texts,
        now=cutoff,
        progress=progress,
        candidates_per_user=K,
        neighbours=neighbours,
    )
    ndcg = [ndcg_at_k(_ranked(trained.user_candidates, u), relevant[u], K) for u in users]
    recall = [recall_at_k(_ranked(trained.user_candidates, u), relevant[u], K) for u in users]
    return {
        "validation_ndcg_at_10": float(np.mean(ndcg)),
        "validation_recall_at_10": float(np.mean(recall)),
        "validation_users": float(len(users)),
        "validation_days": float(VALIDATION_DAYS),
    }
