"""Item-to-item tables the product page shows: "similar" (co-occurrence blended with content so
new items have neighbours) and "bought together" (same-basket co-purchase with lift)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from circlemart.recommend.algorithms.base import top_k_per_row, top_k_sparse_rows
from circlemart.recommend.algorithms.data import Interactions

# content counts fully for items nobody has touched yet and only as a tie-breaker otherwise
CONTENT_WEIGHT_WARM = 0.25
CONTENT_WEIGHT_COLD = 1.0
ROW_CHUNK = 1024


def similar_items(
    co_occurrence_similarity: sp.csr_matrix,
    content: np.ndarray,
    *,
    interacted: np.ndarray,
    neighbours: int,
) -> sp.csr_matrix:
    """items × items top-K of co-occurrence similarity + weighted positive content cosine."""
    n_items = content.shape[0]
    if n_items == 0 or neighbours <= 0:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    blocks = []
    for start in range(0, n_items, ROW_CHUNK):
        rows = np.arange(start, min(start + ROW_CHUNK, n_items))
        content_block = np.maximum(content[rows] @ content.T, 0.0)
        weight = np.where(interacted[rows], CONTENT_WEIGHT_WARM, CONTENT_WEIGHT_COLD)[:, None]
        block = co_occurrence_similarity[rows].toarray() + weight * content_block
        block[np.arange(len(rows)), rows] = 0.0
        blocks.append(top_k_per_row(block.astype(np.float32), neighbours))
    return sp.vstack(blocks, format="csr").astype(np.float32)


def bought_together(
    data: Interactions, *, neighbours: int, shrinkage: float = 5.0
) -> sp.csr_matrix:
    """items × items: log-lift of appearing in the same basket, damped by co(i, j) / (co(i, j) +
    shrinkage) so one shared basket does not make a pair; only pairs that co-occur more often
    than chance (lift > 1) and at least twice (once for a shop with < 200 baskets) are kept."""
    n_items = data.n_items
    purchases = data.select(data.is_purchase & (data.basket >= 0))
    if len(purchases) == 0:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    baskets, basket_index = np.unique(purchases.basket, return_inverse=True)
    incidence = sp.csr_matrix(
        (np.ones(len(purchases), dtype=np.float32), (basket_index, purchases.item_index)),
        shape=(len(baskets), n_items),
    )
    incidence.data[:] = 1.0
    incidence.sum_duplicates()
    incidence.data[:] = 1.0
    co = (incidence.T @ incidence).tocsr()
    co.setdiag(0)
    co.eliminate_zeros()
    minimum_support = 2 if len(baskets) >= 200 else 1
    counts = np.asarray(incidence.sum(axis=0)).ravel()
    coo = co.tocoo()
    lift = coo.data * len(baskets) / (counts[coo.row] * counts[coo.col])
    keep = (coo.data >= minimum_support) & (lift > 1.0)
    score = np.log(lift[keep]) * coo.data[keep] / (coo.data[keep] + shrinkage)
    table = sp.csr_matrix(
        (score.astype(np.float32), (coo.row[keep], coo.col[keep])), shape=(n_items, n_items)
    )
    return top_k_sparse_rows(table, neighbours)
