import numpy as np
import pytest

from circlemart.recommend.algorithms.data import (
    SECONDS_PER_DAY,
    Interactions,
    interaction_matrix,
    last_seen_days,
    split_by_time,
)
from tests.recommend.algorithms.toy import NOW, interactions


def test_from_records_maps_external_ids_to_indexes_and_adds_catalogue_items():
    data = interactions([(42, 7, 0), (5, 9, 1), (42, 9, 2)], all_items=[3, 7, 9])

    assert data.users.tolist() == [5, 42]
    assert data.items.tolist() == [3, 7, 9]
    assert data.user_index.tolist() == [1, 0, 1]
    assert data.item_index.tolist() == [1, 2, 2]
    assert data.user_index.dtype == np.int32
    assert data.item_index.dtype == np.int32


def test_from_records_refuses_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        Interactions.from_records(
            users=np.array([1, 2]),
            items=np.array([1]),
            weights=np.array([1.0]),
            timestamps=np.array([1]),
            baskets=np.array([-1]),
            is_purchase=np.array([True]),
        )


def test_from_records_refuses_non_positive_weights():
    with pytest.raises(ValueError, match="weight must be > 0"):
        Interactions.from_records(
            users=np.array([1]),
            items=np.array([1]),
            weights=np.array([0.0]),
            timestamps=np.array([1]),
            baskets=np.array([-1]),
            is_purchase=np.array([True]),
        )


def test_split_by_time_puts_every_event_on_exactly_one_side():
    data = interactions([(1, 1, 10), (1, 2, 5), (2, 1, 1), (2, 3, 0)])
    cut = NOW - 5 * SECONDS_PER_DAY

    before, after = split_by_time(data, cut)

    assert before.timestamp.tolist() == [NOW - 10 * SECONDS_PER_DAY]
    assert sorted(after.timestamp.tolist()) == [cut, NOW - SECONDS_PER_DAY, NOW]
    assert before.users.tolist() == after.users.tolist() == data.users.tolist()


def test_interaction_matrix_decays_by_half_life_and_binarises():
    data = interactions([(1, 1, 0), (1, 1, 10), (1, 2, 20)])

    decayed = interaction_matrix(data, now=NOW, half_life_days=10).toarray()
    binary = interaction_matrix(data, binary=True).toarray()

    assert decayed[0].tolist() == pytest.approx([1.5, 0.25])
    assert binary.tolist() == [[1.0, 1.0]]


def test_last_seen_days_is_one_plus_days_since_the_latest_event():
    data = interactions([(1, 1, 3), (1, 1, 8), (2, 2, 0)])

    days = last_seen_days(data, now=NOW).toarray()

    assert days.tolist() == [[4.0, 0.0], [0.0, 1.0]]
