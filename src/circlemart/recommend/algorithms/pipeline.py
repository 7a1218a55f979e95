"""From a shop's interactions and catalogue text to the arrays the serving bundle holds."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import scipy.sparse as sp

from circlemart.recommend.algorithms.base import top_k_per_row
from circlemart.recommend.algorithms.blend import (
    DEFAULT_COEFFICIENTS,
    BaseModels,
    BlendParams,
    blend_scores,
    fit_base_models,
)
from circlemart.recommend.algorithms.content import ContentEncoder
from circlemart.recommend.algorithms.cooccurrence import bought_together, similar_items
from circlemart.recommend.algorithms.data import Interactions, interaction_matrix
from circlemart.recommend.algorithms.knn import shrunk_cosine

Progress = Callable[[str, float], None]
T = TypeVar("T")
# a product page shows "similar" to everyone: damp pairs that rest on one or two shared users
SIMILAR_SHRINKAGE = 5.0


@dataclass(frozen=True)
class TrainedArrays:
    """Everything a Bundle holds except version_id / label / catalogue_id."""

    item_ids: np.ndarray
    user_ids: np.ndarray
    user_candidates: sp.csr_matrix
    candidate_anchor: sp.csr_matrix
    similar: sp.csr_matrix
    bought_together: sp.csr_matrix
    popularity: np.ndarray
    trending: np.ndarray
    repeat_days: np.ndarray
    content: np.ndarray
    encoder: dict[str, np.ndarray]
    metrics: dict[str, float]


class _Stages:
    """Times each stage and reports overall progress as the stages' fixed shares add up."""

    SHARES = (
        ("content", 0.1),
        ("models", 0.35),
        ("candidates", 0.35),
        ("similar", 0.1),
        ("bought_together", 0.1),
    )

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}
        self.done = 0.0

    def run(self, name: str, work: Callable[[Progress], T]) -> T:
        share = dict(self.SHARES)[name]
        started = time.perf_counter()

        def report(note: str, fraction: float) -> None:
            if self.progress:
                self.progress(note, min(1.0, self.done + share * fraction))

        report(name, 0.0)
        result = work(report)
        self.seconds[name] = time.perf_counter() - started
        self.done += share
        report(name, 0.0)
        return result


def train_arrays(
    data: Interactions,
    *,
    item_texts: Mapping[int, str],
    now: int,
    params: BlendParams | None = None,
    progress: Progress | None = None,
    candidates_per_user: int = 200,
    neighbours: int = 50,
) -> TrainedArrays:
    if candidates_per_user < 1 or neighbours < 1:
        raise ValueError("candidates_per_user and neighbours must be ≥ 1")
    params = params or BlendParams()
    if not params.coefficients:
        params = params.with_coefficients(np.asarray(DEFAULT_COEFFICIENTS))
    started = time.perf_counter()
    stages = _Stages(progress)
    texts = [item_texts.get(int(item), "") for item in data.items]

    def fit_content(report: Progress) -> tuple[ContentEncoder, np.ndarray]:
        encoder = ContentEncoder.fit(texts)
        return encoder, encoder.encode(texts)

    encoder, content = stages.run("content", fit_content)
    base = stages.run(
        "models",
        lambda report: fit_base_models(
            data, now=now, embeddings=content, params=params, progress=report
        ),
    )
    candidates, anchors = stages.run(
        "candidates", lambda report: _user_candidates(base, params, candidates_per_user, report)
    )
    interacted = np.asarray((interaction_matrix(data, binary=True)).sum(axis=0)).ravel() > 0
    similar = stages.run(
        "similar",
        lambda report: similar_items(
            shrunk_cosine(
                interaction_matrix(data, binary=True),
                shrinkage=max(params.knn_shrinkage, SIMILAR_SHRINKAGE),
                neighbours=neighbours,
            ),
            content,
            interacted=interacted,
            neighbours=neighbours,
        ),
    )
    together = stages.run(
        "bought_together", lambda report: bought_together(data, neighbours=neighbours)
    )
    if progress:
        progress("done", 1.0)
    return TrainedArrays(
        item_ids=data.items.astype(np.int64),
        user_ids=data.users.astype(np.int64),
        user_candidates=candidates,
        candidate_anchor=anchors,
        similar=similar,
        bought_together=together,
        popularity=base.popularity.astype(np.float32),
        trending=base.trending.astype(np.float32),
        repeat_days=base.repeat_days.astype(np.float32),
        content=content,
        encoder=encoder.to_arrays(),
        metrics=_metrics(
            data, stages.seconds, base.fit_seconds, time.perf_counter() - started, candidates
        ),
    )


def _user_candidates(
    base: BaseModels, params: BlendParams, per_user: int, report: Progress
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Top-N blended scores per user and, with the same sparsity, 1 + the history item that
    explains each candidate: the item itself for a re-purchase, else the kNN neighbour that
    contributed most (0 when none did)."""
    n_users, n_items = base.cf_history.shape
    users = np.arange(n_users)
    blocks: list[sp.csr_matrix] = []
    for part, dense in blend_scores(base, users, params):
        blocks.append(top_k_per_row(dense, per_user))
        report("candidates", (part[-1] + 1) / max(n_users, 1))
    if not blocks:
        empty = sp.csr_matrix((0, n_items), dtype=np.float32)
        return empty, sp.csr_matrix((0, n_items), dtype=np.int32)
    candidates = sp.vstack(blocks, format="csr").astype(np.float32)
    candidates.sort_indices()
    anchor = np.zeros(candidates.nnz, dtype=np.int32)
    history = base.cf_history
    for row in range(n_users):
        start, end = candidates.indptr[row], candidates.indptr[row + 1]
        if start == end:
            continue
        items = candidates.indices[start:end]
        seen = history.indices[history.indptr[row] : history.indptr[row + 1]]
        weights = history.data[history.indptr[row] : history.indptr[row + 1]]
        repeat = np.isin(items, seen)
        neighbour = base.knn.anchors(seen, weights, items)
        anchor[start:end] = np.where(repeat, items + 1, np.where(neighbour >= 0, neighbour + 1, 0))
    anchors = sp.csr_matrix(
        (anchor, candidates.indices.copy(), candidates.indptr.copy()), shape=candidates.shape
    )
    return candidates, anchors


def _metrics(
    data: Interactions,
    stage_seconds: dict[str, float],
    model_seconds: dict[str, float],
    total: float,
    candidates: sp.csr_matrix,
) -> dict[str, float]:
    metrics: dict[str, float] = {
        "interactions": float(len(data)),
        "purchases": float(int(data.is_purchase.sum())),
        "users": float(data.n_users),
        "items": float(data.n_items),
        "baskets": float(len(np.unique(data.basket[data.basket >= 0]))),
        "first_event": float(data.timestamp.min()) if len(data) else 0.0,
        "last_event": float(data.timestamp.max()) if len(data) else 0.0,
        "candidates": float(candidates.nnz),
        "seconds_total": total,
    }
    metrics.update({f"seconds_{name}": seconds for name, seconds in stage_seconds.items()})
    metrics.update({f"seconds_fit_{name}": seconds for name, seconds in model_seconds.items()})
    return metrics
