import math

import numpy as np
import pytest

from circlemart.recommend.evaluation.metrics import (
    average_precision_at_k,
    check_k,
    evaluate_lists,
    intra_list_diversity,
    ndcg_at_k,
    novelty,
    recall_at_k,
    top_k,
)


def test_recall_ndcg_and_map_match_hand_computed_values():
    ranked = [5, 1, 7, 2]
    relevant = {1, 2, 9}

    assert recall_at_k(ranked, relevant, 4) == pytest.approx(2 / 3)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, relevant, 4) == pytest.approx(dcg / ideal)
    assert average_precision_at_k(ranked, relevant, 4) == pytest.approx((1 / 2 + 2 / 4) / 3)


def test_metrics_only_look_at_the_first_k_items():
    assert recall_at_k([5, 1], {1}, 1) == 0.0
    assert ndcg_at_k([1, 5], {1}, 1) == 1.0
    assert average_precision_at_k([5, 1], {1, 2, 3}, 2) == pytest.approx((1 / 2) / 2)


def test_a_user_without_relevant_items_cannot_be_scored():
    with pytest.raises(ValueError, match="without relevant items"):
        ndcg_at_k([1], set(), 1)


@pytest.mark.parametrize("k", [0, -3, 1001, 2.5, True])
def test_k_out_of_range_is_refused_with_a_clear_message(k):
    with pytest.raises(ValueError, match="k must be an integer between 1 and 1000"):
        check_k(k)


def test_top_k_orders_best_first_skips_excluded_and_pads_short_rows():
    scores = np.array([[0.1, 0.9, 0.5], [3.0, 2.0, 1.0]])
    exclude = np.array([[False, True, False], [True, True, False]])

    assert top_k(scores, 2).tolist() == [[1, 2], [0, 1]]
    assert top_k(scores, 2, exclude=exclude).tolist() == [[2, 0], [2, -1]]
    assert top_k(scores, 4).tolist() == [[1, 2, 0, -1], [0, 1, 2, -1]]


def test_novelty_and_diversity_by_hand():
    probability = np.array([0.5, 0.25, 0.125])
    embeddings = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])

    assert novelty([0, 1, -1], probability) == pytest.approx(1.5)
    assert intra_list_diversity([0, 1], embeddings) == pytest.approx(1.0)
    assert intra_list_diversity([0, 2], embeddings) == pytest.approx(0.0)
    assert intra_list_diversity([0], embeddings) == 0.0


def test_evaluate_lists_averages_over_users_with_relevant_items_only():
    ranked = np.array([[0, 1], [2, 0], [1, 2]])
    truth = [{0}, set(), {2}]

    result = evaluate_lists(
        ranked,
        truth,
        k=2,
        n_items=4,
        item_probability=np.full(4, 0.5),
        embeddings=np.eye(4),
    )

    assert result.users == 2
    assert result.recall == pytest.approx(1.0)
    assert result.ndcg == pytest.approx((1.0 + 1 / math.log2(3)) / 2)
    assert result.coverage == pytest.approx(3 / 4)  # items 0, 1, 2 of the two scored lists
    assert result.novelty == pytest.approx(1.0)
    assert result.diversity == pytest.approx(1.0)
