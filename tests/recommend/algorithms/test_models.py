import numpy as np
import pytest

from circlemart.recommend.algorithms.als import ImplicitALS
from circlemart.recommend.algorithms.buy_again import BuyAgain, repeat_statistics
from circlemart.recommend.algorithms.data import interaction_matrix
from circlemart.recommend.algorithms.ease import EASE, ease_weights
from circlemart.recommend.algorithms.knn import ItemKNN
from circlemart.recommend.algorithms.popularity import Popularity, Trending
from tests.recommend.algorithms.toy import NOW, interactions, two_clusters


def test_popularity_counts_distinct_users_not_repeat_events():
    data = interactions([(1, 1, 0), (1, 1, 1), (1, 1, 2), (2, 2, 0), (3, 2, 0)])

    model = Popularity().fit(data, now=NOW)

    assert model.item_scores.tolist() == [1.0, 2.0]
    assert model.score(interaction_matrix(data)).shape == (3, 2)


def test_trending_prefers_recent_touches():
    # item 1: two users long ago; item 2: one user yesterday
    data = interactions([(1, 1, 60), (2, 1, 60), (3, 2, 1)])

    trending = Trending(half_life_days=7).fit(data, now=NOW).item_scores
    popularity = Popularity().fit(data, now=NOW).item_scores

    assert popularity[0] > popularity[1]
    assert trending[1] > trending[0]


def test_item_knn_ranks_the_co_bought_items_of_the_users_cluster_first():
    data = two_clusters()
    model = ItemKNN(shrinkage=0.0, neighbours=10).fit(data, now=NOW)

    scores = model.score(interaction_matrix(data))
    user_nine = scores[list(data.users).index(9)]

    assert set(np.argsort(-user_nine)[:2].tolist()) == {1, 2}  # items 11 and 12
    assert user_nine[3:].tolist() == [0.0, 0.0, 0.0]


def test_item_knn_shrinkage_lowers_similarities_resting_on_few_users():
    data = two_clusters()

    plain = ItemKNN(shrinkage=0.0).fit(data, now=NOW).similarity.toarray()
    shrunk = ItemKNN(shrinkage=10.0).fit(data, now=NOW).similarity.toarray()

    assert plain[1, 2] == pytest.approx(1.0)  # items 11 and 12 share all four users
    assert shrunk[1, 2] == pytest.approx(4 / (4 + 10))


def test_ease_weights_equal_the_closed_form():
    rng = np.random.default_rng(3)
    binary = (rng.random((30, 6)) < 0.4).astype(np.float64)
    regularisation = 2.0

    inverse = np.linalg.inv(binary.T @ binary + regularisation * np.eye(6))
    expected = np.eye(6) - inverse @ np.diag(1.0 / np.diag(inverse))

    import scipy.sparse as sp

    weights = ease_weights(sp.csr_matrix(binary), regularisation=regularisation)
    assert np.allclose(weights, expected, atol=1e-5)
    assert np.diag(weights).tolist() == [0.0] * 6


def test_ease_prefers_the_users_cluster_and_refuses_a_non_positive_lambda():
    data = two_clusters()
    model = EASE(regularisation=1.0).fit(data, now=NOW)

    user_nine = model.score(interaction_matrix(data))[list(data.users).index(9)]

    assert min(user_nine[1], user_nine[2]) > max(user_nine[3:])
    with pytest.raises(ValueError, match="regularisation must be > 0"):
        EASE(regularisation=0.0)


def test_ials_fold_in_scores_the_users_cluster_above_the_other():
    data = two_clusters()
    model = ImplicitALS(factors=4, regularisation=0.01, alpha=10.0, iterations=20).fit(
        data, now=NOW
    )

    scores = model.score(interaction_matrix(data))
    first_cluster_user = list(data.users).index(1)

    assert scores[first_cluster_user, :3].min() > scores[first_cluster_user, 3:].max()
    assert model.score(interaction_matrix(data)[:0]).shape == (0, 6)


def test_buy_again_ranks_by_frequency_and_recency():
    # item 1 bought twice long ago, item 2 once yesterday, item 3 three times recently
    data = interactions([(1, 1, 200), (1, 1, 190), (1, 2, 1), (1, 3, 10), (1, 3, 5), (1, 3, 2)])
    model = BuyAgain(half_life_days=30).fit(data, now=NOW)

    scores = model.score(model.history(data, now=NOW))[0]

    assert np.argsort(-scores).tolist() == [2, 1, 0]


def test_repeat_days_is_the_median_gap_between_one_users_purchases():
    rows = [(user, 1, day) for user in (1, 2) for day in (0, 10, 20)] + [
        (3, 1, 30),
        (3, 1, 60),
        (4, 2, 5),
    ]
    data = interactions(rows)

    repeat_days, repeat_rate = repeat_statistics(data)

    assert repeat_days.tolist() == [10.0, 0.0]  # gaps 10, 10, 10, 10, 30 → median 10
    assert repeat_rate.tolist() == [1.0, 0.0]
