import io
from pathlib import Path

import numpy as np
import pytest

from circlemart.recommend.algorithms.data import SECONDS_PER_DAY, Interactions
from circlemart.recommend.evaluation import cli
from circlemart.recommend.evaluation.datasets import Dataset
from circlemart.recommend.evaluation.runner import BASELINES, BLEND, make_period

DAY = SECONDS_PER_DAY
START = 1_600_000_000


def _events(rows: list[tuple[int, int, int]]) -> Interactions:
    return Interactions.from_records(
        users=np.array([r[0] for r in rows]),
        items=np.array([r[1] for r in rows]),
        weights=np.ones(len(rows), dtype=np.float32),
        timestamps=np.array([START + r[2] * DAY for r in rows]),
        baskets=np.arange(len(rows)),
        is_purchase=np.ones(len(rows), dtype=bool),
    )


def test_a_period_has_no_event_of_its_own_window_in_the_history():
    data = _events([(1, 1, 0), (1, 2, 10), (1, 3, 20), (2, 1, 15), (3, 2, 25)])

    period = make_period(data, start=START + 10 * DAY, end=START + 20 * DAY)

    assert int(period.history.timestamp.max()) < START + 10 * DAY
    assert period.users.tolist() == [0]  # user 2 has no history, user 3 nothing in the window
    assert period.truth == [{1}]  # item 2 at day 10 (inclusive); item 3 at day 20 is outside


def test_repeat_and_new_slices_split_each_users_relevant_items_by_their_history():
    data = _events([(1, 1, 0), (1, 1, 12), (1, 2, 13)])

    period = make_period(data, start=START + 10 * DAY, end=START + 20 * DAY)

    assert period.slice_truth("repeat") == [{0}]
    assert period.slice_truth("new") == [{1}]


def _synthetic_dataset() -> Dataset:
    rng = np.random.default_rng(11)
    rows = []
    for user in range(60):
        taste = user % 3
        for _ in range(12):
            item = taste * 10 + int(rng.integers(0, 10))
            rows.append((user, item, int(rng.integers(0, 90))))
    data = _events(rows)
    return Dataset(
        name="synthetic",
        interactions=data,
        item_texts={int(item): f"group {int(item) // 10} item {int(item)}" for item in data.items},
        item_labels={},
        validation_start=START + 60 * DAY,
        test_start=START + 75 * DAY,
        source="generated in the test",
    )


def test_run_evaluate_reports_every_model_and_writes_the_markdown(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(cli, "load_dataset", lambda name: _synthetic_dataset())
    monkeypatch.setattr(cli, "DATASET_NAMES", ("synthetic",))
    output = tmp_path / "evaluation.md"
    stdout = io.StringIO()

    status = cli.run_evaluate(datasets=["synthetic"], k=5, quick=True, output=output, stdout=stdout)

    assert status == 0
    document = output.read_text(encoding="utf-8")
    for model in (*BASELINES, BLEND):
        assert f"| {model} |" in document
    assert "NDCG@5" in document
    assert "items new to the customer" in stdout.getvalue()


@pytest.mark.parametrize(
    ("datasets", "k", "message"),
    [
        (["nope"], 10, "unknown dataset nope"),
        (["movielens"], 0, "k must be an integer between 1 and 1000"),
    ],
)
def test_run_evaluate_refuses_bad_arguments_with_status_two(datasets, k, message):
    stdout = io.StringIO()

    status = cli.run_evaluate(datasets=datasets, k=k, quick=True, output=None, stdout=stdout)

    assert status == 2
    assert message in stdout.getvalue()


@pytest.mark.slow
def test_quick_run_on_the_real_datasets(tmp_path: Path):
    stdout = io.StringIO()

    status = cli.run_evaluate(
        datasets=["all"], k=10, quick=True, output=tmp_path / "e.md", stdout=stdout
    )

    assert status == 0
    assert "online-retail" in stdout.getvalue()
    assert "movielens" in stdout.getvalue()
