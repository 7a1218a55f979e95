"""Scoring on the active model's arrays: a user's precomputed candidates re-ranked with the
session's recent items, item neighbours, co-purchases, popularity and content neighbours for
products the model has not seen. Pure numpy on the Bundle; no database."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple, TypeVar, cast

import numpy as np

from circlemart.recommend.algorithms.content import ContentEncoder
from circlemart.recommend.bundle import Bundle

T = TypeVar("T")

# A click's neighbours must beat the long-term profile on the next page: the newest session
# item weighs 1.5× the user's best candidate, each older one 0.75× the one after it.
SESSION_WEIGHT = 1.5
SESSION_DECAY = 0.75
POPULARITY_TIE_BREAK = 0.02
TRENDING_SHARE = 0.4


class Candidate(NamedTuple):
    product_id: int
    score: float
    kind: str  # "viewed" | "session" | "similar" | "popular" | "trending" | "bought" | "new" …
    anchor_id: int | None  # the product that explains it


def _row(matrix: object, index: int) -> tuple[np.ndarray, np.ndarray]:
    indptr = matrix.indptr  # type: ignore[attr-defined]
    start, end = int(indptr[index]), int(indptr[index + 1])
    return matrix.indices[start:end], matrix.data[start:end]  # type: ignore[attr-defined]


def _normalised(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else values


class _PerBundle:
    """Arrays derived once per loaded bundle (popularity order, content encoder)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[int, str], tuple[Bundle, object]] = {}

    def get(self, bundle: Bundle, name: str, build: Callable[[Bundle], T]) -> T:
        key = (id(bundle), name)
        with self._lock:
            found = self._cache.get(key)
            if found is not None and found[0] is bundle:
                return cast(T, found[1])
        value = build(bundle)
        with self._lock:
            # Only the serving bundle's arrays stay: an old model's go with it.
            for stale in [k for k, (held, _) in self._cache.items() if held is not bundle]:
                del self._cache[stale]
            self._cache[key] = (bundle, value)
        return value


_derived = _PerBundle()


def _popularity_order(bundle: Bundle) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item indexes best first, blended score, is-trending flag) for the non-personalised list."""
    popularity = _normalised(np.asarray(bundle.popularity))
    trend = _normalised(np.asarray(bundle.trending))
    blended = (1 - TRENDING_SHARE) * popularity + TRENDING_SHARE * trend
    order = np.argsort(-blended, kind="stable")
    return order, blended, trend > popularity


def popular(bundle: Bundle, *, limit: int) -> list[Candidate]:
    order, blended, is_trending = _derived.get(bundle, "popularity", _popularity_order)
    out = []
    for index in order[:limit]:
        if blended[index] <= 0:
            break
        kind = "trending" if is_trending[index] else "popular"
        out.append(Candidate(int(bundle.item_ids[index]), float(blended[index]), kind, None))
    return out


def user_candidates(bundle: Bundle, user_index: int) -> dict[int, Candidate]:
    """The model's precomputed candidates for the user, scores scaled to a best of 1."""
    items, scores = _row(bundle.user_candidates, user_index)
    anchor_items, anchors = _row(bundle.candidate_anchor, user_index)
    anchor_of = dict(zip(anchor_items.tolist(), anchors.tolist(), strict=True))
    scaled = _normalised(scores)
    out: dict[int, Candidate] = {}
    for item, score in zip(items.tolist(), scaled.tolist(), strict=True):
        anchor = int(anchor_of.get(item, 0))
        anchor_id = int(bundle.item_ids[anchor - 1]) if anchor > 0 else None
        product_id = int(bundle.item_ids[item])
        out[product_id] = Candidate(product_id, score, "viewed" if anchor_id else "", anchor_id)
    return out


def neighbours(
    bundle: Bundle, product_id: int, *, matrix_name: str = "similar"
) -> list[tuple[int, float]]:
    """(product id, score) of a product's neighbours in `similar` or `bought_together`,
    best first."""
    index = bundle.item_index(product_id)
    if index is None:
        return []
    items, scores = _row(getattr(bundle, matrix_name), index)
    order = np.argsort(-scores, kind="stable")
    return [(int(bundle.item_ids[items[i]]), float(scores[i])) for i in order if scores[i] > 0]


def session_boost(bundle: Bundle, recent: Sequence[int]) -> dict[int, Candidate]:
    """Neighbours of the session's recent products (newest first), weighted by recency."""
    totals: dict[int, float] = {}
    strongest: dict[int, tuple[float, int]] = {}  # neighbour → (best single contribution, from)
    weight = SESSION_WEIGHT
    for product_id in recent:
        found = neighbours(bundle, product_id)
        if found:
            top = found[0][1]
            for neighbour_id, score in found:
                value = weight * score / top
                totals[neighbour_id] = totals.get(neighbour_id, 0.0) + value
                if value > strongest.get(neighbour_id, (0.0, 0))[0]:
                    strongest[neighbour_id] = (value, product_id)
        weight *= SESSION_DECAY
    return {
        neighbour_id: Candidate(neighbour_id, total, "session", strongest[neighbour_id][1])
        for neighbour_id, total in totals.items()
    }


def blend(
    profile: dict[int, Candidate], session: dict[int, Candidate], bundle: Bundle
) -> list[Candidate]:
    """The user's candidates and the session's, summed, with a popularity tie-break."""
    _, blended, _ = _derived.get(bundle, "popularity", _popularity_order)
    merged: dict[int, Candidate] = {}
    for product_id in profile.keys() | session.keys():
        mine, theirs = profile.get(product_id), session.get(product_id)
        score = (mine.score if mine else 0.0) + (theirs.score if theirs else 0.0)
        index = bundle.item_index(product_id)
        score += POPULARITY_TIE_BREAK * float(blended[index]) if index is not None else 0.0
        explains = theirs if theirs and (not mine or theirs.score >= mine.score) else mine
        assert explains is not None
        merged[product_id] = Candidate(product_id, score, explains.kind, explains.anchor_id)
    return sorted(merged.values(), key=lambda c: (-c.score, c.product_id))


def _encoder(bundle: Bundle) -> ContentEncoder | None:
    if not bundle.encoder:
        return None
    try:
        return ContentEncoder.from_arrays(bundle.encoder)
    except (KeyError, ValueError):
        return None


def encode(bundle: Bundle, texts: Sequence[str]) -> np.ndarray | None:
    """Texts in the model's content space (rows L2-normalised), or None without an encoder."""
    encoder = _derived.get(bundle, "encoder", _encoder)
    if encoder is None or not texts:
        return None
    vectors = np.asarray(encoder.encode(list(texts)), dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != bundle.content.shape[1]:
        return None
    return vectors


def content_neighbours(
    bundle: Bundle, vector: np.ndarray, *, limit: int, excluded: Iterable[int] = ()
) -> list[tuple[int, float]]:
    """(product id, cosine) of the model's items nearest to `vector`, best first."""
    if bundle.content.shape[0] == 0 or not np.any(vector):
        return []
    similarity = np.asarray(bundle.content, dtype=np.float32) @ vector.astype(np.float32)
    skip = {bundle.item_index(p) for p in excluded} - {None}
    wanted = min(len(similarity), limit + len(skip))
    top = np.argpartition(-similarity, wanted - 1)[:wanted]
    top = top[np.argsort(-similarity[top], kind="stable")]
    return [
        (int(bundle.item_ids[i]), float(similarity[i]))
        for i in top
        if i not in skip and similarity[i] > 0
    ][:limit]


def taste_vector(bundle: Bundle, product_ids: Iterable[int]) -> np.ndarray | None:
    """The mean content vector of these products (what the viewer seems to like)."""
    rows = [index for p in product_ids if (index := bundle.item_index(p)) is not None]
    if not rows or bundle.content.shape[0] == 0:
        return None
    mean = np.asarray(bundle.content[rows], dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None
