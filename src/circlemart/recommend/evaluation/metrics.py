"""Ranking metrics over the full catalogue (no sampled negatives), binary relevance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_K = 1000


def check_k(k: int, n_items: int | None = None) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1 or k > MAX_K:
        raise ValueError(f"k must be an integer between 1 and {MAX_K}, got {k!r}")
    if n_items is not None and n_items < 1:
        raise ValueError("there are no items to rank")
    return k


def top_k(scores: np.ndarray, k: int, *, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indexes of each row's k best scores, best first; `exclude` (bool, same shape) is never
    picked. Rows with fewer than k allowed items are padded with -1."""
    check_k(k)
    scores = np.asarray(scores, dtype=np.float64)
    if exclude is not None:
        scores = np.where(exclude, -np.inf, scores)
    k_eff = min(k, scores.shape[1])
    picked = np.argpartition(-scores, k_eff - 1, axis=1)[:, :k_eff]
    picked_scores = np.take_along_axis(scores, picked, axis=1)
    order = np.argsort(-picked_scores, axis=1, kind="stable")
    ranked = np.take_along_axis(picked, order, axis=1)
    ranked = np.where(np.take_along_axis(picked_scores, order, axis=1) == -np.inf, -1, ranked)
    if k_eff < k:
        ranked = np.pad(ranked, ((0, 0), (0, k - k_eff)), constant_values=-1)
    return ranked


def recall_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    if not relevant:
        raise ValueError("a user without relevant items cannot be scored")
    hits = sum(1 for item in ranked[:k] if item in relevant)
    return hits / len(relevant)


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    if not relevant:
        raise ValueError("a user without relevant items cannot be scored")
    gains = sum(
        1.0 / np.log2(position + 2) for position, item in enumerate(ranked[:k]) if item in relevant
    )
    ideal = sum(1.0 / np.log2(position + 2) for position in range(min(len(relevant), k)))
    return float(gains / ideal)


def average_precision_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """Σ precision@i at each hit i ≤ k, divided by min(|relevant|, k)."""
    if not relevant:
        raise ValueError("a user without relevant items cannot be scored")
    hits, total = 0, 0.0
    for position, item in enumerate(ranked[:k]):
        if item in relevant:
            hits += 1
            total += hits / (position + 1)
    return total / min(len(relevant), k)


def novelty(ranked: Sequence[int], item_probability: np.ndarray) -> float:
    """Mean self-information −log2 p(item) of the recommended items, p = share of training
    users who interacted with the item (floored at one user's share)."""
    items = [item for item in ranked if item >= 0]
    if not items:
        return 0.0
    return float(np.mean(-np.log2(item_probability[items])))


def intra_list_diversity(ranked: Sequence[int], embeddings: np.ndarray) -> float:
    """1 − mean pairwise cosine similarity of the list's (L2-normalised) item embeddings."""
    items = [item for item in ranked if item >= 0]
    if len(items) < 2:
        return 0.0
    vectors = embeddings[items]
    similarity = vectors @ vectors.T
    n = len(items)
    mean_pairwise = (similarity.sum() - np.trace(similarity)) / (n * (n - 1))
    return float(1.0 - mean_pairwise)


@dataclass(frozen=True)
class SliceResult:
    users: int
    recall: float
    ndcg: float
    map: float
    coverage: float
    novelty: float
    diversity: float


def evaluate_lists(
    ranked: np.ndarray,
    truth: Sequence[set[int]],
    *,
    k: int,
    n_items: int,
    item_probability: np.ndarray,
    embeddings: np.ndarray,
) -> SliceResult:
    """Average the metrics over the users (rows) that have at least one relevant item."""
    check_k(k, n_items)
    rows = [row for row, relevant in enumerate(truth) if relevant]
    if not rows:
        return SliceResult(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    lists = [[int(item) for item in ranked[row][:k]] for row in rows]
    recommended = {item for items in lists for item in items if item >= 0}
    return SliceResult(
        users=len(rows),
        recall=float(
            np.mean(
                [recall_at_k(items, truth[row], k) for items, row in zip(lists, rows, strict=True)]
            )
        ),
        ndcg=float(
            np.mean(
                [ndcg_at_k(items, truth[row], k) for items, row in zip(lists, rows, strict=True)]
            )
        ),
        map=float(
            np.mean(
                [
                    average_precision_at_k(items, truth[row], k)
                    for items, row in zip(lists, rows, strict=True)
                ]
            )
        ),
        coverage=len(recommended) / n_items,
        novelty=float(np.mean([novelty(items, item_probability) for items in lists])),
        diversity=float(np.mean([intra_list_diversity(items, embeddings) for items in lists])),
    )
