"""The blend: candidates from the union of the baselines, features from their per-user
normalised scores plus recency, repeat-purchase, popularity and content signals, ranked by a
logistic regression (numpy, Newton steps) learned on a later validation period."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from circlemart.recommend.algorithms.als import ImplicitALS
from circlemart.recommend.algorithms.base import HistoryModel
from circlemart.recommend.algorithms.buy_again import BuyAgain, purchase_days
from circlemart.recommend.algorithms.content import ContentModel
from circlemart.recommend.algorithms.data import Interactions, interaction_matrix, last_seen_days
from circlemart.recommend.algorithms.ease import EASE, MAX_EASE_ITEMS
from circlemart.recommend.algorithms.knn import ItemKNN
from circlemart.recommend.algorithms.popularity import Popularity, Trending

BASE_FEATURES = (
    "ease",
    "ials",
    "item_knn",
    "content",
    "buy_again",
    "popularity",
    "trending",
    "recency",
    "frequency",
    "repeat_rate",
    "repeat_cycle",
    "user_repeat_share",
    "user_history",
)
# every base feature twice (for items the user already has and for the others), then the
# in-history indicator and the intercept: one ranker, two regimes
FEATURES = (
    *(f"{name}|new" for name in BASE_FEATURES),
    *(f"{name}|seen" for name in BASE_FEATURES),
    "seen",
    "intercept",
)

# Learned by `circlemart recommend evaluate` on the Online Retail validation period (models fitted
# on the training period, BlendParams defaults below); see docs/recommend-evaluation.md. Every
# feature is scaled per user or to [0, 1], so the weights carry over to a shop's own data.
# fmt: off
DEFAULT_COEFFICIENTS: tuple[float, ...] = (
    1.005, 1.117, 1.016, 0.446, 0.0, -2.678, 4.010, 0.0, 0.0, -2.054, 0.0, -1.937, 3.446,
    0.806, 0.931, -0.375, 0.184, 0.549, -3.073, 3.064, 1.621, 0.901, 0.999, 0.456, 0.929, -0.047,
    1.818, -6.094,
)
# fmt: on


@dataclass(frozen=True)
class BlendParams:
    """Defaults = the configuration tuned on the Online Retail validation period."""

    ease_regularisation: float = 20.0
    als_factors: int = 128
    als_regularisation: float = 0.05
    als_alpha: float = 5.0
    als_iterations: int = 15
    knn_shrinkage: float = 10.0
    knn_neighbours: int = 20
    history_half_life_days: float | None = 180.0
    buy_again_half_life_days: float | None = None
    trending_half_life_days: float = 7.0
    candidates_per_model: int = 100
    max_history_candidates: int = 300
    ranker_l2: float = 1.0
    coefficients: tuple[float, ...] = field(default=DEFAULT_COEFFICIENTS)

    def with_coefficients(self, coefficients: np.ndarray) -> BlendParams:
        return replace(self, coefficients=tuple(float(c) for c in coefficients))


@dataclass
class BaseModels:
    """The fitted baselines plus the per-user matrices the blend's features read."""

    models: dict[str, HistoryModel]
    cf_history: sp.csr_matrix
    purchase_history: sp.csr_matrix
    last_days: sp.csr_matrix
    frequency: sp.csr_matrix
    popularity: np.ndarray
    trending: np.ndarray
    repeat_rate: np.ndarray
    repeat_days: np.ndarray
    user_repeat_share: np.ndarray  # per user: share of purchase days that re-bought an item
    user_history: np.ndarray  # per user: log(1 + distinct items touched), scaled to ~[0, 1]
    fit_seconds: dict[str, float]

    @property
    def knn(self) -> ItemKNN:
        model = self.models["item_knn"]
        assert isinstance(model, ItemKNN)
        return model


def fit_base_models(
    data: Interactions,
    *,
    now: int,
    embeddings: np.ndarray,
    params: BlendParams,
    progress: Callable[[str, float], None] | None = None,
) -> BaseModels:
    seconds: dict[str, float] = {}
    half_life = params.history_half_life_days
    factories: list[tuple[str, Callable[[], HistoryModel]]] = [
        ("popularity", lambda: Popularity().fit(data, now=now)),
        (
            "trending",
            lambda: Trending(half_life_days=params.trending_half_life_days).fit(data, now=now),
        ),
        (
            "item_knn",
            lambda: ItemKNN(
                shrinkage=params.knn_shrinkage,
                neighbours=params.knn_neighbours,
                half_life_days=half_life,
            ).fit(data, now=now),
        ),
        (
            "ials",
            lambda: ImplicitALS(
                factors=params.als_factors,
                regularisation=params.als_regularisation,
                alpha=params.als_alpha,
                iterations=params.als_iterations,
                half_life_days=half_life,
            ).fit(data, now=now),
        ),
        (
            "buy_again",
            lambda: BuyAgain(half_life_days=params.buy_again_half_life_days).fit(data, now=now),
        ),
        ("content", lambda: ContentModel(embeddings=embeddings, half_life_days=half_life)),
    ]
    if data.n_items <= MAX_EASE_ITEMS:
        factories.insert(
            3,
            (
                "ease",
                lambda: EASE(
                    regularisation=params.ease_regularisation, half_life_days=half_life
                ).fit(data, now=now),
            ),
        )
    models: dict[str, HistoryModel] = {}
    for position, (name, factory) in enumerate(factories):
        started = time.perf_counter()
        models[name] = factory()
        seconds[name] = time.perf_counter() - started
        if progress:
            progress(f"fit {name}", (position + 1) / len(factories))
    buy_again = models["buy_again"]
    assert isinstance(buy_again, BuyAgain)
    popularity, trending = models["popularity"], models["trending"]
    assert isinstance(popularity, Popularity)
    assert isinstance(trending, Trending)
    purchases = data.select(data.is_purchase)
    return BaseModels(
        models=models,
        cf_history=interaction_matrix(data, now=now, half_life_days=half_life),
        purchase_history=buy_again.history(data, now=now),
        last_days=last_seen_days(data, now=now),
        frequency=interaction_matrix(purchases, binary=False, now=now, half_life_days=None),
        popularity=popularity.item_scores,
        trending=trending.item_scores,
        repeat_rate=buy_again.repeat_rate,
        repeat_days=buy_again.repeat_days,
        user_repeat_share=user_repeat_share(data),
        user_history=np.log1p(np.diff(interaction_matrix(data, binary=True).indptr))
        / np.log(1000.0),
        fit_seconds=seconds,
    )


def user_repeat_share(data: Interactions) -> np.ndarray:
    """Per user: 1 − distinct items bought / distinct (item, day) purchases — how much of a
    customer's buying is re-buying."""
    users, items, _ = purchase_days(data)
    share = np.zeros(data.n_users, dtype=np.float32)
    if len(users) == 0:
        return share
    purchase_count = np.bincount(users, minlength=data.n_users)
    pair_start = np.ones(len(users), dtype=bool)
    pair_start[1:] = (users[1:] != users[:-1]) | (items[1:] != items[:-1])
    distinct_items = np.bincount(users[pair_start], minlength=data.n_users)
    np.divide(purchase_count - distinct_items, purchase_count, out=share, where=purchase_count > 0)
    return share


def _row_scaled(scores: np.ndarray) -> np.ndarray:
    """Divide each row by its largest absolute value so users with long histories and short
    ones land on one scale."""
    peak = np.abs(scores).max(axis=1, keepdims=True)
    return scores / np.where(peak > 0, peak, 1.0)


@dataclass
class CandidateBlock:
    """One chunk of users: candidate (row, item) pairs and their feature rows."""

    rows: np.ndarray
    items: np.ndarray
    features: np.ndarray
    n_rows: int


def candidate_block(base: BaseModels, users: np.ndarray, params: BlendParams) -> CandidateBlock:
    cf = base.cf_history[users]
    purchases = base.purchase_history[users]
    n_rows, n_items = len(users), base.popularity.shape[0]
    scores: dict[str, np.ndarray] = {}
    for name in ("ease", "ials", "item_knn", "content"):
        model = base.models.get(name)
        scores[name] = (
            _row_scaled(model.score(cf))
            if model is not None
            else np.zeros((n_rows, n_items), np.float32)
        )
    seen = (cf > 0).toarray() | (purchases > 0).toarray()
    chosen = np.zeros((n_rows, n_items), dtype=bool)
    trending_row = np.broadcast_to(base.trending, (n_rows, n_items))
    per_model = min(params.candidates_per_model, n_items)
    for matrix in (*scores.values(), trending_row):
        masked = np.where(seen, -np.inf, matrix)
        if per_model > 0:
            top = np.argpartition(-masked, per_model - 1, axis=1)[:, :per_model]
            np.put_along_axis(chosen, top, True, axis=1)
    buy_again_scores = _row_scaled(np.asarray(purchases.todense(), dtype=np.float32))
    history_rank = np.where(seen, buy_again_scores + 1e-6 * np.asarray(cf.todense()), -np.inf)
    keep_history = min(params.max_history_candidates, n_items)
    top_history = np.argpartition(-history_rank, keep_history - 1, axis=1)[:, :keep_history]
    history_pick = np.zeros_like(chosen)
    np.put_along_axis(history_pick, top_history, True, axis=1)
    chosen |= history_pick & seen
    rows, items = np.nonzero(chosen)
    last_days = base.last_days[users].toarray()[rows, items]
    frequency = base.frequency[users].toarray()[rows, items]
    is_seen = seen[rows, items].astype(np.float32)
    repeat_days = base.repeat_days[items]
    cycle = np.where(
        (repeat_days > 0) & (last_days > 0),
        np.exp(-np.abs(last_days - 1.0 - repeat_days) / np.maximum(repeat_days, 1.0)),
        0.0,
    )
    popularity_scale = np.log1p(base.popularity.max()) or 1.0
    trending_scale = np.log1p(base.trending.max()) or 1.0
    columns = [
        scores["ease"][rows, items],
        scores["ials"][rows, items],
        scores["item_knn"][rows, items],
        scores["content"][rows, items],
        buy_again_scores[rows, items],
        np.log1p(base.popularity[items]) / popularity_scale,
        np.log1p(base.trending[items]) / trending_scale,
        np.where(last_days > 0, 1.0 / np.log2(1.0 + np.maximum(last_days, 1.0)), 0.0),
        np.log1p(frequency),
        base.repeat_rate[items],
        cycle,
        base.user_repeat_share[users][rows],
        base.user_history[users][rows],
    ]
    base_matrix = np.stack(columns, axis=1).astype(np.float32)
    features = np.concatenate(
        [
            base_matrix * (1.0 - is_seen)[:, None],
            base_matrix * is_seen[:, None],
            is_seen[:, None],
            np.ones((len(rows), 1), dtype=np.float32),
        ],
        axis=1,
    )
    return CandidateBlock(rows=rows, items=items, features=features, n_rows=n_rows)


def user_chunk_size(n_items: int) -> int:
    """Users per block so one dense users × items score matrix stays near 8 MB (≈ 2M floats);
    a block holds about ten of them."""
    return int(max(16, min(512, 2_000_000 // max(n_items, 1))))


def candidate_blocks(
    base: BaseModels, users: np.ndarray, params: BlendParams, *, chunk: int | None = None
) -> Iterator[tuple[np.ndarray, CandidateBlock]]:
    chunk = chunk or user_chunk_size(base.popularity.shape[0])
    for start in range(0, len(users), chunk):
        part = users[start : start + chunk]
        yield part, candidate_block(base, part, params)


def fit_logistic(
    features: np.ndarray, labels: np.ndarray, *, l2: float, iterations: int = 25
) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method (the intercept is not penalised)."""
    d = features.shape[1]
    weights = np.zeros(d, dtype=np.float64)
    penalty = np.full(d, l2, dtype=np.float64)
    penalty[-1] = 0.0
    x = features.astype(np.float64)
    y = labels.astype(np.float64)
    for _ in range(iterations):
        probability = 1.0 / (1.0 + np.exp(-(x @ weights)))
        gradient = x.T @ (probability - y) + penalty * weights
        curvature = (x * (probability * (1.0 - probability))[:, None]).T @ x + np.diag(
            penalty + 1e-9
        )
        step = np.linalg.solve(curvature, gradient)
        weights -= step
        if float(np.abs(step).max()) < 1e-6:
            break
    return weights


def learn_coefficients(
    base: BaseModels, *, users: np.ndarray, truth: sp.csr_matrix, params: BlendParams
) -> np.ndarray:
    """Fit the ranker on candidates of `users`, labelled by `truth` (users × items, what each
    user took in the later period)."""
    blocks_x, blocks_y = [], []
    for part, block in candidate_blocks(base, users, params):
        labels = np.asarray(truth[part][block.rows, block.items]).ravel() > 0
        blocks_x.append(block.features)
        blocks_y.append(labels)
    if not blocks_x:
        raise ValueError("no users to learn the blend from")
    return fit_logistic(np.concatenate(blocks_x), np.concatenate(blocks_y), l2=params.ranker_l2)


def blend_scores(
    base: BaseModels, users: np.ndarray, params: BlendParams, *, chunk: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per chunk of users: dense probabilities over all items (−1 for non-candidates)."""
    coefficients = np.asarray(params.coefficients, dtype=np.float64)
    if len(coefficients) != len(FEATURES):
        raise ValueError(f"the blend needs {len(FEATURES)} coefficients, got {len(coefficients)}")
    n_items = base.popularity.shape[0]
    for part, block in candidate_blocks(base, users, params, chunk=chunk):
        dense = np.full((block.n_rows, n_items), -1.0, dtype=np.float32)
        logits = block.features.astype(np.float64) @ coefficients
        dense[block.rows, block.items] = 1.0 / (1.0 + np.exp(-logits))
        yield part, dense
