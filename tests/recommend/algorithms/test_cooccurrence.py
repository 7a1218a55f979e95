import numpy as np
import scipy.sparse as sp

from circlemart.recommend.algorithms.cooccurrence import bought_together, similar_items
from circlemart.recommend.algorithms.data import Interactions
from tests.recommend.algorithms.toy import NOW


def _baskets(baskets: list[list[int]]) -> Interactions:
    users, items, ids = [], [], []
    for number, basket in enumerate(baskets):
        for item in basket:
            users.append(number)
            items.append(item)
            ids.append(number)
    return Interactions.from_records(
        users=np.array(users),
        items=np.array(items),
        weights=np.ones(len(items), dtype=np.float32),
        timestamps=np.full(len(items), NOW),
        baskets=np.array(ids),
        is_purchase=np.ones(len(items), dtype=bool),
    )


def test_bought_together_keeps_pairs_above_chance_and_ranks_the_stronger_lift_first():
    # 1 and 2 always together; 1 and 3 together once; 4 everywhere (no lift)
    data = _baskets([[1, 2, 4], [1, 2, 4], [1, 3, 4], [3, 4], [5, 4], [5, 6, 4], [7, 4], [8, 4]])

    table = bought_together(data, neighbours=5).toarray()

    one, two, three, four = 0, 1, 2, 3
    assert table[one, two] > table[one, three] > 0
    assert table[one, four] == 0.0
    assert np.diag(table).tolist() == [0.0] * 8


def test_views_without_baskets_make_no_bought_together_pairs():
    data = Interactions.from_records(
        users=np.array([1, 1]),
        items=np.array([1, 2]),
        weights=np.ones(2, dtype=np.float32),
        timestamps=np.full(2, NOW),
        baskets=np.array([-1, -1]),
        is_purchase=np.array([False, False]),
    )

    assert bought_together(data, neighbours=5).nnz == 0


def test_an_item_nobody_touched_gets_its_neighbours_from_content():
    content = np.array([[1.0, 0.0], [0.0, 1.0], [0.96, 0.28]], dtype=np.float32)
    co_occurrence = sp.csr_matrix(np.array([[0, 0.5, 0], [0.5, 0, 0], [0, 0, 0]], dtype=np.float32))

    similar = similar_items(
        co_occurrence, content, interacted=np.array([True, True, False]), neighbours=2
    ).toarray()

    assert similar[2].argmax() == 0  # the cold item's nearest text
    assert similar[0].argmax() == 1  # warm items keep their co-occurrence neighbour first
    assert np.diag(similar).tolist() == [0.0, 0.0, 0.0]
