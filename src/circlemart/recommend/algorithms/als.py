"""Implicit ALS (Hu, Koren, Volinsky 2008) trained with the `implicit` package, with a numpy
fold-in so a history row that was not trained on (a session) gets the same least-squares fit."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from circlemart.recommend.algorithms.base import HistoryModel
from circlemart.recommend.algorithms.data import Interactions, interaction_matrix

THREADS = 2
FOLD_IN_BATCH = 256


class ImplicitALS(HistoryModel):
    name = "ials"

    def __init__(
        self,
        *,
        factors: int = 64,
        regularisation: float = 0.05,
        alpha: float = 10.0,
        iterations: int = 15,
        half_life_days: float | None = None,
        seed: int = 17,
    ) -> None:
        self.factors = factors
        self.regularisation = regularisation
        self.alpha = alpha
        self.iterations = iterations
        self.half_life_days = half_life_days
        self.seed = seed
        self.item_factors = np.zeros((0, factors), dtype=np.float32)

    def fit(self, data: Interactions, *, now: int) -> ImplicitALS:
        binary = interaction_matrix(data, binary=True)
        factors = max(1, min(self.factors, data.n_items, max(data.n_users, 1)))
        if binary.nnz == 0:
            self.item_factors = np.zeros((data.n_items, factors), dtype=np.float32)
            return self
        # implicit parallelises over users itself; a threaded BLAS underneath only oversubscribes
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=factors,
                regularization=self.regularisation,
                alpha=self.alpha,
                iterations=self.iterations,
                num_threads=THREADS,
                random_state=self.seed,
            )
            model.fit(binary, show_progress=False)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)
        return self

    def user_factors(self, history: sp.csr_matrix) -> np.ndarray:
        """Solve (YᵀY + Yᵀ(C−I)Y + λI) x = YᵀC·1 per row, confidence C = alpha · r as in
        `implicit`; the history's values are treated as presence (binary)."""
        items = self.item_factors.astype(np.float64)
        n_factors = items.shape[1]
        gram = items.T @ items + self.regularisation * np.eye(n_factors)
        history = history.tocsr()
        result = np.zeros((history.shape[0], n_factors), dtype=np.float32)
        # many small solves: one BLAS thread each, batched through LAPACK's stacked solve
        with threadpool_limits(1, "blas"):
            for start in range(0, history.shape[0], FOLD_IN_BATCH):
                rows = range(start, min(start + FOLD_IN_BATCH, history.shape[0]))
                systems = np.repeat(gram[None, :, :], len(rows), axis=0)
                targets = np.zeros((len(rows), n_factors))
                for position, row in enumerate(rows):
                    seen = history.indices[history.indptr[row] : history.indptr[row + 1]]
                    if len(seen) == 0:
                        continue
                    block = items[seen]
                    systems[position] += (self.alpha - 1.0) * (block.T @ block)
                    targets[position] = self.alpha * block.sum(axis=0)
                result[start : start + len(rows)] = np.linalg.solve(systems, targets[:, :, None])[
                    :, :, 0
                ]
        return result

    def score(self, history: sp.csr_matrix) -> np.ndarray:
        return (self.user_factors(history) @ self.item_factors.T).astype(np.float32)
