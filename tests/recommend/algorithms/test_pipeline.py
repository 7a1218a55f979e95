import numpy as np
import pytest

from circlemart.recommend.algorithms.data import SECONDS_PER_DAY, Interactions
from circlemart.recommend.algorithms.pipeline import train_arrays
from tests.recommend.algorithms.toy import NOW, empty

CATALOGUE = np.arange(1000, 1100)


def _demo_shop() -> Interactions:
    """Tens of users, ~100 items (some never seen), views, carts and orders, one user with a
    single event."""
    rng = np.random.default_rng(7)
    n = 600
    users = rng.integers(1, 41, n)
    items = rng.choice(CATALOGUE[:90], n)
    is_purchase = rng.random(n) < 0.4
    weights = np.where(is_purchase, 5.0, rng.choice([1.0, 3.0], n)).astype(np.float32)
    baskets = np.where(is_purchase, rng.integers(1, 120, n), -1)
    users = np.append(users, 777)
    items = np.append(items, 1000)
    return Interactions.from_records(
        users=users,
        items=items,
        weights=np.append(weights, 1.0),
        timestamps=NOW - rng.integers(0, 120 * SECONDS_PER_DAY, n + 1),
        baskets=np.append(baskets, -1),
        is_purchase=np.append(is_purchase, False),
        all_items=CATALOGUE,
    )


TEXTS = {
    int(item): f"{'红色连衣裙' if item % 2 else 'running shoes'} style {item % 5}"
    for item in CATALOGUE
}


@pytest.fixture(scope="module")
def trained():
    data = _demo_shop()
    notes: list[tuple[str, float]] = []
    arrays = train_arrays(
        data,
        item_texts=TEXTS,
        now=NOW,
        progress=lambda stage, done: notes.append((stage, done)),
        neighbours=10,
    )
    return data, arrays, notes


def test_shapes_follow_the_users_and_the_whole_catalogue(trained):
    data, arrays, _ = trained
    users, items = len(data.users), len(CATALOGUE)

    assert arrays.item_ids.tolist() == CATALOGUE.tolist()
    assert arrays.user_ids.tolist() == data.users.tolist()
    assert arrays.user_candidates.shape == arrays.candidate_anchor.shape == (users, items)
    assert arrays.similar.shape == arrays.bought_together.shape == (items, items)
    assert arrays.popularity.shape == arrays.trending.shape == arrays.repeat_days.shape == (items,)
    assert arrays.content.shape[0] == items
    assert arrays.user_candidates.dtype == np.float32
    assert arrays.candidate_anchor.dtype == np.int32


def test_candidates_are_top_n_positive_and_anchors_share_their_sparsity(trained):
    _, arrays, _ = trained
    candidates, anchors = arrays.user_candidates, arrays.candidate_anchor

    assert np.diff(candidates.indptr).max() <= 200
    assert candidates.data.min() > 0
    assert anchors.indptr.tolist() == candidates.indptr.tolist()
    assert anchors.indices.tolist() == candidates.indices.tolist()
    assert anchors.data.min() >= 0
    assert anchors.data.max() <= len(CATALOGUE)


def test_the_single_event_user_has_candidates_and_an_anchor_to_that_event(trained):
    data, arrays, _ = trained
    row = list(data.users).index(777)
    start, end = arrays.candidate_anchor.indptr[row], arrays.candidate_anchor.indptr[row + 1]

    assert end > start
    assert set(arrays.candidate_anchor.data[start:end].tolist()) <= {
        0,
        1,
    }  # 1 = item index 0 (id 1000)


def test_items_never_seen_get_content_neighbours_and_no_popularity(trained):
    _, arrays, _ = trained
    never_seen = 95

    assert arrays.popularity[never_seen] == 0.0
    assert arrays.similar[never_seen].nnz == 10


def test_progress_rises_to_one_and_metrics_count_the_training_data(trained):
    data, arrays, notes = trained
    fractions = [done for _, done in notes]

    assert fractions == sorted(fractions)
    assert notes[-1] == ("done", 1.0)
    assert arrays.metrics["interactions"] == len(data)
    assert arrays.metrics["items"] == 100
    assert arrays.metrics["seconds_total"] > 0


def test_an_empty_interaction_set_gives_popularity_only_arrays():
    arrays = train_arrays(
        empty(all_items=CATALOGUE.tolist()), item_texts=TEXTS, now=NOW, neighbours=5
    )

    assert arrays.user_candidates.shape == arrays.candidate_anchor.shape == (0, 100)
    assert arrays.popularity.tolist() == [0.0] * 100
    assert arrays.bought_together.nnz == 0
    assert arrays.similar.shape == (100, 100)


def test_an_empty_catalogue_trains_to_empty_arrays():
    arrays = train_arrays(empty(), item_texts={}, now=NOW)

    assert arrays.item_ids.shape == (0,)
    assert arrays.user_candidates.shape == (0, 0)
    assert arrays.similar.shape == (0, 0)


def test_out_of_range_sizes_are_refused():
    with pytest.raises(ValueError, match="must be ≥ 1"):
        train_arrays(empty(), item_texts={}, now=NOW, candidates_per_user=0)
