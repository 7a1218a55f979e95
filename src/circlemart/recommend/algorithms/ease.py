"""EASE (Steck 2019): a closed-form item-item linear model with a zero diagonal."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from circlemart.recommend.algorithms.base import HistoryModel
from circlemart.recommend.algorithms.data import Interactions, interaction_matrix

# The closed form inverts an items × items Gram matrix; past this the pipeline leaves EASE out.
MAX_EASE_ITEMS = 20_000


def ease_weights(binary: sp.csr_matrix, *, regularisation: float) -> np.ndarray:
    """B = I − P · diagMat(1 / diag(P)) with P = (XᵀX + λI)⁻¹, so diag(B) = 0."""
    gram = np.asarray((binary.T @ binary).todense(), dtype=np.float64)
    gram[np.diag_indices_from(gram)] += regularisation
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)
    weights[np.diag_indices_from(weights)] = 0.0
    return weights.astype(np.float32)


class EASE(HistoryModel):
    name = "ease"

    def __init__(
        self, *, regularisation: float = 300.0, half_life_days: float | None = None
    ) -> None:
        if regularisation <= 0:
            raise ValueError("EASE regularisation must be > 0")
        self.regularisation = regularisation
        self.half_life_days = half_life_days
        self.weights = np.zeros((0, 0), dtype=np.float32)

    def fit(self, data: Interactions, *, now: int) -> EASE:
        if data.n_items > MAX_EASE_ITEMS:
            raise ValueError(f"EASE needs ≤ {MAX_EASE_ITEMS} items, got {data.n_items}")
        self.weights = ease_weights(
            interaction_matrix(data, binary=True), regularisation=self.regularisation
        )
        return self

    def score(self, history: sp.csr_matrix) -> np.ndarray:
        return np.asarray(history @ self.weights, dtype=np.float32)
