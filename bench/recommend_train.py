"""Training time of the recommender on the full UCI Online Retail data (target: < 120 s).

Runs `recommend.algorithms.pipeline.train_arrays` — every baseline, the blend's candidates for
every customer, "similar" and "bought together" — on all 396k clean purchase lines, then prints
seconds per stage beside each baseline's own fit time measured in the same run:

    .venv/bin/python bench/recommend_train.py
    .venv/bin/python bench/recommend_train.py --json var/recommend_train.json
    .venv/bin/python bench/recommend_train.py --quick   # smoke run (CI): 300 customers, no verdict
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from circlemart.recommend.algorithms.data import Interactions  # noqa: E402
from circlemart.recommend.algorithms.pipeline import train_arrays  # noqa: E402
from circlemart.recommend.evaluation.datasets import load_online_retail  # noqa: E402

TARGET_SECONDS = 120.0
QUICK_CUSTOMERS = 300


def first_customers(data: Interactions, count: int) -> Interactions:
    """The purchase lines of the first `count` customers, in index spaces of their own."""
    mask = data.user_index < count
    return Interactions.from_records(
        users=data.users[data.user_index[mask]],
        items=data.items[data.item_index[mask]],
        weights=data.weight[mask],
        timestamps=data.timestamp[mask],
        baskets=data.basket[mask],
        is_purchase=data.is_purchase[mask],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: the first {QUICK_CUSTOMERS} customers only; the target is not judged",
    )
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    arguments = parser.parse_args(argv)

    started = time.perf_counter()
    dataset = load_online_retail()
    load_seconds = time.perf_counter() - started
    data = dataset.interactions
    if arguments.quick:
        data = first_customers(data, QUICK_CUSTOMERS)
        if not len(data):
            print("--quick: no purchase lines for the first customers", file=sys.stderr)
            return 1
    now = int(data.timestamp.max()) + 1
    print(
        f"loaded {len(data):,} purchase lines, {data.n_users:,} customers, {data.n_items:,} items"
    )
    print(f"  load and clean the CSV: {load_seconds:.1f} s (not part of training)")

    last = {"stage": "", "at": time.perf_counter()}

    def progress(stage: str, done: float) -> None:
        if stage != last["stage"]:
            print(f"  [{done:4.0%}] {stage}", flush=True)
            last["stage"] = stage

    arrays = train_arrays(data, item_texts=dataset.item_texts, now=now, progress=progress)
    metrics = arrays.metrics
    total = metrics["seconds_total"]

    print("\nseconds per stage:")
    for name in ("content", "models", "candidates", "similar", "bought_together"):
        print(f"  {name:<16} {metrics[f'seconds_{name}']:7.2f}")
    print("baselines' fit times (inside 'models'):")
    for key, value in metrics.items():
        if key.startswith("seconds_fit_"):
            print(f"  {key.removeprefix('seconds_fit_'):<16} {value:7.2f}")
    print(
        f"\ntraining total {total:.1f} s for {int(metrics['candidates']):,} candidates, "
        f"{arrays.similar.nnz:,} similar and {arrays.bought_together.nnz:,} bought-together pairs"
    )
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        document = {"quick": arguments.quick, "load_seconds": load_seconds, **metrics}
        arguments.json.write_text(json.dumps(document, indent=2))
    if arguments.quick:
        if int(metrics["candidates"]) <= 0 or arrays.similar.nnz <= 0:
            print("--quick: training produced no candidates or no similar pairs", file=sys.stderr)
            return 1
        print("--quick: a smoke run on a subset; the target is not judged")
        return 0
    verdict = "met" if total < TARGET_SECONDS else "MISSED"
    print(f"target < {TARGET_SECONDS:.0f} s: {verdict}")
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
