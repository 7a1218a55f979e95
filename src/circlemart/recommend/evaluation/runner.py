"""The evaluation protocol: tune every baseline on the validation period with models trained on
the training period, learn the blend there too, then retrain the tuned configurations on
train + validation and score the test period once."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import scipy.sparse as sp

from circlemart.recommend.algorithms.als import ImplicitALS
from circlemart.recommend.algorithms.base import HistoryModel
from circlemart.recommend.algorithms.blend import (
    BlendParams,
    blend_scores,
    fit_base_models,
    learn_coefficients,
)
from circlemart.recommend.algorithms.buy_again import BuyAgain
from circlemart.recommend.algorithms.content import ContentEncoder, ContentModel
from circlemart.recommend.algorithms.data import Interactions, interaction_matrix
from circlemart.recommend.algorithms.ease import EASE
from circlemart.recommend.algorithms.knn import ItemKNN
from circlemart.recommend.algorithms.popularity import Popularity, Trending
from circlemart.recommend.evaluation.datasets import Dataset
from circlemart.recommend.evaluation.metrics import SliceResult, check_k, evaluate_lists, top_k

SLICES = ("all", "repeat", "new")
BASELINES = ("popularity", "trending", "item_knn", "ease", "ials", "buy_again", "content")
BLEND = "blend"
TUNED_METRIC_SLICES = ("all", "new")
QUICK_USERS = 400
QUICK_ITEMS = 1000
Config = dict[str, Any]


@dataclass(frozen=True)
class Period:
    """History before `now`, and what each evaluated user took in [now, end)."""

    history: Interactions
    now: int
    users: np.ndarray  # user indexes with ≥ 1 history event and ≥ 1 item in the period
    seen: sp.csr_matrix  # users × items, 1 = in the user's history
    truth: list[set[int]]  # per evaluated user

    def slice_truth(self, name: str) -> list[set[int]]:
        if name == "all":
            return self.truth
        seen_rows = self.seen[self.users]
        result = []
        for row, relevant in enumerate(self.truth):
            own = set(seen_rows.indices[seen_rows.indptr[row] : seen_rows.indptr[row + 1]].tolist())
            result.append(relevant & own if name == "repeat" else relevant - own)
        return result


def make_period(
    data: Interactions, *, start: int, end: int, sample: np.ndarray | None = None
) -> Period:
    history = data.select(data.timestamp < start)
    window = data.select((data.timestamp >= start) & (data.timestamp < end))
    seen = interaction_matrix(history, binary=True)
    target = interaction_matrix(window, binary=True)
    has_history = np.diff(seen.indptr) > 0
    has_target = np.diff(target.indptr) > 0
    users = np.flatnonzero(has_history & has_target)
    if sample is not None:
        users = users[np.isin(users, sample)]
    truth = [set(target.indices[target.indptr[u] : target.indptr[u + 1]].tolist()) for u in users]
    return Period(history=history, now=start, users=users, seen=seen, truth=truth)


@dataclass(frozen=True)
class EvaluationContext:
    k: int
    n_items: int
    item_probability: np.ndarray
    embeddings: np.ndarray


def context_for(period: Period, *, k: int, embeddings: np.ndarray) -> EvaluationContext:
    counts = np.asarray(period.seen.sum(axis=0)).ravel()
    users = max(period.history.n_users, 1)
    return EvaluationContext(
        k=k,
        n_items=period.history.n_items,
        item_probability=np.maximum(counts, 1) / users,
        embeddings=embeddings,
    )


def score_slices(
    chunks: Iterator[tuple[np.ndarray, np.ndarray]], period: Period, context: EvaluationContext
) -> dict[str, SliceResult]:
    """`chunks` yields (row positions into period.users, dense scores); lists for the "new"
    slice are re-ranked without the user's past items."""
    whole_lists, new_lists = [], []
    for positions, scores in chunks:
        users = period.users[positions]
        seen = period.seen[users].toarray() > 0
        whole_lists.append(top_k(scores, context.k))
        new_lists.append(top_k(scores, context.k, exclude=seen))
    whole = np.concatenate(whole_lists) if whole_lists else np.zeros((0, context.k), dtype=np.int64)
    fresh = np.concatenate(new_lists) if new_lists else np.zeros((0, context.k), dtype=np.int64)

    def measure(lists: np.ndarray, truth: list[set[int]]) -> SliceResult:
        return evaluate_lists(
            lists,
            truth,
            k=context.k,
            n_items=context.n_items,
            item_probability=context.item_probability,
            embeddings=context.embeddings,
        )

    return {
        "all": measure(whole, period.truth),
        "repeat": measure(whole, period.slice_truth("repeat")),
        "new": measure(fresh, period.slice_truth("new")),
    }


def model_chunks(
    model: HistoryModel, period: Period, *, chunk: int = 512
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    history = model.history(period.history, now=period.now)
    for start in range(0, len(period.users), chunk):
        positions = np.arange(start, min(start + chunk, len(period.users)))
        yield positions, model.score(history[period.users[positions]])


def grids(*, quick: bool) -> dict[str, list[Config]]:
    """Hyper-parameter grids; `half_life_days` only changes how the history is weighted, so
    one fit serves every half-life."""
    if quick:
        return {
            "popularity": [{}],
            "trending": [{"half_life_days": 14.0}],
            "item_knn": [{"shrinkage": 10.0, "neighbours": 100, "half_life_days": 180.0}],
            "ease": [{"regularisation": 300.0, "half_life_days": 180.0}],
            "ials": [
                {
                    "factors": 32,
                    "regularisation": 0.05,
                    "alpha": 10.0,
                    "iterations": 8,
                    "half_life_days": None,
                }
            ],
            "buy_again": [{"half_life_days": 60.0, "repeat_rate_power": 0.0}],
            "content": [{"half_life_days": 60.0}],
        }
    half_lives = [None, 180.0, 60.0, 20.0]
    return {
        "popularity": [{}],
        "trending": [{"half_life_days": h} for h in (3.0, 7.0, 14.0, 30.0)],
        "item_knn": [
            {"shrinkage": s, "neighbours": n, "half_life_days": h}
            for s, n, h in itertools.product((0.0, 10.0, 50.0), (20, 50, 200), half_lives)
        ],
        "ease": [
            {"regularisation": r, "half_life_days": h}
            for r, h in itertools.product((20.0, 50.0, 200.0, 500.0, 1500.0), half_lives)
        ],
        "ials": [
            {
                "factors": f,
                "regularisation": 0.05,
                "alpha": a,
                "iterations": 15,
                "half_life_days": h,
            }
            for f, a, h in itertools.product((64, 128), (5.0, 20.0), (None, 60.0))
        ],
        "buy_again": [
            {"half_life_days": h, "repeat_rate_power": p}
            for h, p in itertools.product((None, 120.0, 60.0, 30.0, 15.0), (0.0, 1.0))
        ],
        "content": [{"half_life_days": h} for h in half_lives],
    }


def build_model(name: str, config: Config, embeddings: np.ndarray) -> HistoryModel:
    fit_config = {key: value for key, value in config.items() if key != "half_life_days"}
    half_life = config.get("half_life_days")
    builders: dict[str, Callable[[], HistoryModel]] = {
        "popularity": Popularity,
        "trending": lambda: Trending(half_life_days=float(config["half_life_days"])),
        "item_knn": lambda: ItemKNN(half_life_days=half_life, **fit_config),
        "ease": lambda: EASE(half_life_days=half_life, **fit_config),
        "ials": lambda: ImplicitALS(half_life_days=half_life, **fit_config),
        "buy_again": lambda: BuyAgain(half_life_days=half_life, **fit_config),
        "content": lambda: ContentModel(embeddings=embeddings, half_life_days=half_life),
    }
    return builders[name]()


def _fit_key(name: str, config: Config) -> tuple[str, tuple[tuple[str, Any], ...]]:
    if name in ("trending", "buy_again", "popularity"):
        return name, tuple(sorted(config.items()))
    return name, tuple(sorted((k, v) for k, v in config.items() if k != "half_life_days"))


@dataclass
class BaselineRun:
    config: Config
    results: dict[str, SliceResult]
    fit_seconds: float


@dataclass
class DatasetReport:
    name: str
    source: str
    k: int
    quick: bool
    split: dict[str, str]
    counts: dict[str, int]
    tuned: dict[str, dict[str, Config]] = field(default_factory=dict)  # model → slice → config
    validation: dict[str, dict[str, float]] = field(default_factory=dict)  # model → slice → ndcg
    test: dict[str, dict[str, dict[str, SliceResult]]] = field(
        default_factory=dict
    )  # model → tuned-for → slice
    fit_seconds: dict[str, float] = field(default_factory=dict)
    blend_params: BlendParams | None = None
    seconds: float = 0.0


def fit_timed(model: HistoryModel, data: Interactions, now: int) -> float:
    started = time.perf_counter()
    fit = getattr(model, "fit", None)
    if fit is not None:
        fit(data, now=now)
    return time.perf_counter() - started


def tune_baselines(
    period: Period, context: EvaluationContext, *, quick: bool, log: Callable[[str], None]
) -> tuple[dict[str, dict[str, Config]], dict[str, dict[str, float]]]:
    tuned: dict[str, dict[str, Config]] = {}
    best_scores: dict[str, dict[str, float]] = {}
    for name, configs in grids(quick=quick).items():
        fitted: dict[Any, HistoryModel] = {}
        best: dict[str, tuple[float, Config]] = {}
        for config in configs:
            key = _fit_key(name, config)
            model = fitted.get(key)
            if model is None:
                model = build_model(name, config, context.embeddings)
                fit_timed(model, period.history, period.now)
                fitted[key] = model
            model.half_life_days = config.get("half_life_days")
            results = score_slices(model_chunks(model, period), period, context)
            for slice_name in TUNED_METRIC_SLICES:
                if slice_name not in best or results[slice_name].ndcg > best[slice_name][0]:
                    best[slice_name] = (results[slice_name].ndcg, config)
        tuned[name] = {slice_name: config for slice_name, (_, config) in best.items()}
        best_scores[name] = {slice_name: score for slice_name, (score, _) in best.items()}
        log(
            f"  tuned {name}: "
            + ", ".join(f"{s} ndcg={v:.4f} {tuned[name][s]}" for s, v in best_scores[name].items())
        )
    return tuned, best_scores


def blend_params_from(tuned: dict[str, dict[str, Config]], *, quick: bool) -> BlendParams:
    ease, ials = tuned["ease"]["all"], tuned["ials"]["all"]
    knn, buy_again = tuned["item_knn"]["all"], tuned["buy_again"]["all"]
    return BlendParams(
        ease_regularisation=float(ease["regularisation"]),
        als_factors=int(ials["factors"]),
        als_regularisation=float(ials["regularisation"]),
        als_alpha=float(ials["alpha"]),
        als_iterations=int(ials["iterations"]),
        knn_shrinkage=float(knn["shrinkage"]),
        knn_neighbours=int(knn["neighbours"]),
        history_half_life_days=ease["half_life_days"],
        buy_again_half_life_days=buy_again["half_life_days"],
        trending_half_life_days=float(tuned["trending"]["all"]["half_life_days"]),
        candidates_per_model=50 if quick else 100,
    )


def blend_chunks(
    base: Any, period: Period, params: BlendParams
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    offset = 0
    for part, dense in blend_scores(base, period.users, params):
        yield np.arange(offset, offset + len(part)), dense
        offset += len(part)


def truth_matrix(period: Period) -> sp.csr_matrix:
    rows = np.repeat(period.users, [len(t) for t in period.truth])
    columns = np.fromiter(itertools.chain.from_iterable(period.truth), dtype=np.int64)
    shape = (period.history.n_users, period.history.n_items)
    return sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=shape)


def quick_sample(data: Interactions) -> Interactions:
    """A CI-sized slice: QUICK_USERS random users and their QUICK_ITEMS most popular items,
    re-indexed so every matrix is small."""
    rng = np.random.default_rng(17)
    users = rng.choice(data.n_users, size=min(data.n_users, QUICK_USERS), replace=False)
    sampled = data.select(np.isin(data.user_index, users))
    popularity = np.bincount(sampled.item_index, minlength=data.n_items)
    items = np.argsort(-popularity, kind="stable")[: min(QUICK_ITEMS, data.n_items)]
    kept = sampled.select(np.isin(sampled.item_index, items))
    return Interactions.from_records(
        users=kept.users[kept.user_index],
        items=kept.items[kept.item_index],
        weights=kept.weight,
        timestamps=kept.timestamp,
        baskets=kept.basket,
        is_purchase=kept.is_purchase,
    )


def evaluate_dataset(
    dataset: Dataset, *, k: int, quick: bool, log: Callable[[str], None]
) -> DatasetReport:
    check_k(k)
    started = time.perf_counter()
    data = quick_sample(dataset.interactions) if quick else dataset.interactions
    sample = None
    end = int(data.timestamp.max()) + 1
    texts = [dataset.item_texts.get(int(item), "") for item in data.items]
    encoder = ContentEncoder.fit(texts)
    embeddings = encoder.encode(texts)
    validation = make_period(
        data, start=dataset.validation_start, end=dataset.test_start, sample=sample
    )
    test = make_period(data, start=dataset.test_start, end=end, sample=sample)
    report = DatasetReport(
        name=dataset.name,
        source=dataset.source,
        k=k,
        quick=quick,
        split=_split_dates(dataset, end),
        counts={
            "interactions": len(data),
            "users": data.n_users,
            "items": data.n_items,
            "train_interactions": len(validation.history),
            "validation_users": len(validation.users),
            "test_users": len(test.users),
            "test_users_repeat": sum(1 for t in test.slice_truth("repeat") if t),
            "test_users_new": sum(1 for t in test.slice_truth("new") if t),
        },
    )
    log(f"{dataset.name}: {report.counts}")
    validation_context = context_for(validation, k=k, embeddings=embeddings)
    report.tuned, report.validation = tune_baselines(
        validation, validation_context, quick=quick, log=log
    )

    params = blend_params_from(report.tuned, quick=quick)
    base = fit_base_models(
        validation.history, now=validation.now, embeddings=embeddings, params=params
    )
    coefficients = learn_coefficients(
        base, users=validation.users, truth=truth_matrix(validation), params=params
    )
    params = params.with_coefficients(coefficients)
    report.blend_params = params
    validation_blend = score_slices(
        blend_chunks(base, validation, params), validation, validation_context
    )
    report.validation[BLEND] = {s: validation_blend[s].ndcg for s in TUNED_METRIC_SLICES}
    log(
        "  blend (in-sample on validation): "
        + ", ".join(f"{s} ndcg={validation_blend[s].ndcg:.4f}" for s in TUNED_METRIC_SLICES)
    )

    test_context = context_for(test, k=k, embeddings=embeddings)
    for name in BASELINES:
        report.test[name] = {}
        for tuned_for in TUNED_METRIC_SLICES:
            config = report.tuned[name][tuned_for]
            same = [other for other in report.test[name] if report.tuned[name][other] == config]
            if same:
                report.test[name][tuned_for] = report.test[name][same[0]]
                continue
            model = build_model(name, config, embeddings)
            seconds = fit_timed(model, test.history, test.now)
            report.fit_seconds.setdefault(name, seconds)
            report.test[name][tuned_for] = score_slices(
                model_chunks(model, test), test, test_context
            )
    blend_started = time.perf_counter()
    base = fit_base_models(test.history, now=test.now, embeddings=embeddings, params=params)
    report.fit_seconds[BLEND] = time.perf_counter() - blend_started
    blend_result = score_slices(blend_chunks(base, test, params), test, test_context)
    report.test[BLEND] = dict.fromkeys(TUNED_METRIC_SLICES, blend_result)
    report.seconds = time.perf_counter() - started
    return report


def _split_dates(dataset: Dataset, end: int) -> dict[str, str]:
    def day(stamp: int) -> str:
        return datetime.fromtimestamp(stamp, tz=UTC).strftime("%Y-%m-%d %H:%M")

    start = int(dataset.interactions.timestamp.min())
    return {
        "train": f"{day(start)} … {day(dataset.validation_start)}",
        "validation": f"{day(dataset.validation_start)} … {day(dataset.test_start)}",
        "test": f"{day(dataset.test_start)} … {day(end)}",
    }
