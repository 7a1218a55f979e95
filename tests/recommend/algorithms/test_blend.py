import numpy as np
import pytest

from circlemart.recommend.algorithms.blend import (
    DEFAULT_COEFFICIENTS,
    FEATURES,
    BlendParams,
    blend_scores,
    candidate_block,
    fit_base_models,
    fit_logistic,
)
from tests.recommend.algorithms.toy import NOW, two_clusters


def _base():
    data = two_clusters()
    embeddings = np.eye(data.n_items, 4, dtype=np.float32)
    params = BlendParams(
        als_factors=4, als_iterations=5, ease_regularisation=1.0, candidates_per_model=3
    )
    return data, fit_base_models(data, now=NOW, embeddings=embeddings, params=params), params


def test_logistic_regression_learns_the_direction_of_a_separating_feature():
    rng = np.random.default_rng(1)
    signal = rng.normal(size=2000)
    labels = (signal + 0.3 * rng.normal(size=2000)) > 0
    features = np.stack([signal, rng.normal(size=2000), np.ones(2000)], axis=1)

    weights = fit_logistic(features, labels, l2=1.0)

    assert weights[0] > 3.0
    assert abs(weights[1]) < 0.3


def test_candidates_hold_every_past_item_and_features_have_the_declared_width():
    data, base, params = _base()
    nine = np.array([list(data.users).index(9)])

    block = candidate_block(base, nine, params)

    assert 0 in block.items.tolist()  # item 10, which user 9 bought
    assert block.features.shape == (len(block.items), len(FEATURES))
    seen_column = FEATURES.index("seen")
    assert block.features[block.items.tolist().index(0), seen_column] == 1.0


def test_blend_scores_are_probabilities_for_candidates_and_minus_one_elsewhere():
    data, base, params = _base()
    params = params.with_coefficients(np.full(len(FEATURES), 0.5))

    ((_users, dense),) = list(blend_scores(base, np.arange(data.n_users), params))

    assert dense.shape == (data.n_users, data.n_items)
    candidates = dense[dense != -1.0]
    assert candidates.size > 0
    assert candidates.min() > 0.0
    assert candidates.max() < 1.0


def test_the_shipped_default_coefficients_match_the_feature_list():
    assert len(DEFAULT_COEFFICIENTS) == len(FEATURES)


def test_blend_scores_refuse_a_coefficient_vector_of_the_wrong_length():
    data, base, params = _base()

    with pytest.raises(ValueError, match=f"needs {len(FEATURES)} coefficients, got 2"):
        list(blend_scores(base, np.arange(data.n_users), params.with_coefficients(np.ones(2))))
