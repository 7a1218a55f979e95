"""What every model shares: its history matrix and row-normalisation of score blocks."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from circlemart.recommend.algorithms.data import Interactions, interaction_matrix


class HistoryModel:
    """A model scores users from a users × items history (time-decayed event weights), so the
    rows of a trained user and a session's fresh events go through the same code."""

    name = "model"
    half_life_days: float | None = None

    def history(self, data: Interactions, *, now: int) -> sp.csr_matrix:
        return interaction_matrix(data, now=now, half_life_days=self.half_life_days)

    def score(self, history: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError


def l2_normalise_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def top_k_per_row(matrix: np.ndarray, k: int) -> sp.csr_matrix:
    """Keep each row's k largest strictly positive entries (dense in, sparse float32 out)."""
    rows, columns = matrix.shape
    k = min(k, columns)
    if rows == 0 or k <= 0:
        return sp.csr_matrix((rows, columns), dtype=np.float32)
    picked = np.argpartition(-matrix, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(matrix, picked, axis=1)
    keep = values > 0
    row_index = np.repeat(np.arange(rows), k).reshape(rows, k)
    result = sp.csr_matrix(
        (values[keep].astype(np.float32), (row_index[keep], picked[keep])),
        shape=(rows, columns),
    )
    result.sort_indices()
    return result


def top_k_sparse_rows(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep each row's k largest stored entries of a sparse matrix."""
    matrix = matrix.tocsr()
    rows_out, columns_out, values_out = [], [], []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        if start == end:
            continue
        values = matrix.data[start:end]
        columns = matrix.indices[start:end]
        if len(values) > k:
            picked = np.argpartition(-values, k - 1)[:k]
            values, columns = values[picked], columns[picked]
        rows_out.append(np.full(len(values), row, dtype=np.int32))
        columns_out.append(columns)
        values_out.append(values)
    if not rows_out:
        return sp.csr_matrix(matrix.shape, dtype=np.float32)
    result = sp.csr_matrix(
        (
            np.concatenate(values_out).astype(np.float32),
            (np.concatenate(rows_out), np.concatenate(columns_out)),
        ),
        shape=matrix.shape,
    )
    result.sort_indices()
    return result
