"""bench/recommend.py's in-process half on a tiny shop (a smoke run: no speed is asserted),
its --quick bounds and its report. The HTTP half needs wrk and a server:
`.venv/bin/python bench/recommend.py --quick`."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

from circlemart.recommend.models import ModelVersion, ServingSlot

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("bench_recommend", ROOT / "bench/recommend.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_mode_keeps_the_run_small(bench: ModuleType) -> None:
    arguments = bench.parse_arguments(["--quick"])

    assert (arguments.users, arguments.products, arguments.measured) == (300, 400, 100)
    assert (arguments.duration, arguments.rounds, arguments.connections) == (2, 1, 8)


def test_the_synthetic_history_follows_each_shoppers_tastes(bench: ModuleType) -> None:
    history = bench.synthetic_history(
        rng=random.Random(3),
        user_ids=[1, 2, 3],
        products_by_category={10: [100, 101], 20: [200, 201, 202]},
        events_per_user=8,
        now=1_800_000_000,
    )

    rows = len(history["users"])
    assert rows >= 3
    assert {len(column) for column in history.values()} == {rows}
    assert set(history["items"]) <= {100, 101, 200, 201, 202}
    assert set(history["weights"]) <= {1.0, 3.0, 5.0}
    purchases = [
        b for b, bought in zip(history["baskets"], history["is_purchase"], strict=True) if bought
    ]
    assert all(basket > 0 for basket in purchases)
    assert all(
        basket == -1
        for basket, bought in zip(history["baskets"], history["is_purchase"], strict=True)
        if not bought
    )
    assert all(1_800_000_000 - 90 * 86_400 <= t <= 1_800_000_000 for t in history["timestamps"])


@pytest.mark.django_db
def test_a_tiny_world_trains_activates_and_times_the_for_you_list(bench: ModuleType) -> None:
    world = bench.build_world(
        users=40, products=60, events_per_user=12, seed=5, progress=lambda _line: None
    )

    version = ModelVersion.objects.get(pk=world["version_id"])
    assert version.status == ModelVersion.Status.READY
    assert ServingSlot.objects.get(name="default").version_id == version.pk
    assert len(world["users"]) == 40
    assert world["products"] == 60

    figures = bench.measure_in_process(
        measured=world["modelled_users"][5:25], warmup=world["modelled_users"][:5], anonymous_runs=5
    )

    assert figures["for_you_first"]["n"] == 20
    assert figures["for_you_anonymous"]["n"] == 5
    assert figures["personalised_share"] == 1.0  # every measured shopper is in the model
    assert figures["mean_items"] > 0
    for key in ("for_you_first", "for_you_cached", "for_you_anonymous", "product_cards"):
        row = figures[key]
        assert 0 < row["p50_ms"] <= row["p90_ms"] <= row["p99_ms"] <= row["max_ms"]

    arguments = bench.parse_arguments(["--quick", "--skip-http"])
    text = bench.report(arguments, world, {"in_process": figures})
    assert "for_you, first list of each shopper" in text
    assert "--quick: a smoke run" in text
    assert "target for_you p99" not in text  # no verdict on a tiny shop
