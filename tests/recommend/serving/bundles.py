"""Small in-memory bundles for serving tests: write out who gets which candidates, which
products neighbour which, and serve it with `bundle.use_bundle_for_tests`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from circlemart.recommend.algorithms.content import ContentEncoder
from circlemart.recommend.bundle import Bundle

Pairs = Mapping[int, Sequence[tuple[int, float]]]


def _pairs_matrix(pairs: Pairs, rows: dict[int, int], columns: dict[int, int]) -> sp.csr_matrix:
    r, c, v = [], [], []
    for row_id, entries in pairs.items():
        for column_id, value in entries:
            r.append(rows[row_id])
            c.append(columns[column_id])
            v.append(value)
    return sp.csr_matrix(
        (np.asarray(v, dtype=np.float32), (r, c)), shape=(len(rows), len(columns)), dtype=np.float32
    )


def make_bundle(
    *,
    items: Sequence[int],
    users: Sequence[int] = (),
    candidates: Mapping[int, Sequence[tuple[int, float, int | None]]] | None = None,
    similar: Pairs | None = None,
    bought_together: Pairs | None = None,
    popularity: Mapping[int, float] | None = None,
    trending: Mapping[int, float] | None = None,
    repeat_days: Mapping[int, float] | None = None,
    texts: Mapping[int, str] | None = None,
    version_id: int = 1,
) -> Bundle:
    """`candidates`: user → [(product, score, anchor product or None)]; `texts` trains a
    content encoder on the items' texts (otherwise the bundle has none)."""
    item_pos = {int(p): n for n, p in enumerate(items)}
    user_pos = {int(u): n for n, u in enumerate(users)}
    rows, columns, scores, anchors = [], [], [], []
    for user, entries in (candidates or {}).items():
        for product, score, anchor in entries:
            rows.append(user_pos[user])
            columns.append(item_pos[product])
            scores.append(score)
            anchors.append(0 if anchor is None else item_pos[anchor] + 1)
    shape = (len(users), len(items))
    user_candidates = sp.csr_matrix(
        (np.asarray(scores, dtype=np.float32), (rows, columns)), shape=shape
    )
    candidate_anchor = sp.csr_matrix(
        (np.asarray(anchors, dtype=np.int32), (rows, columns)), shape=shape
    )

    def vector(values: Mapping[int, float] | None) -> np.ndarray:
        out = np.zeros(len(items), dtype=np.float32)
        for product, value in (values or {}).items():
            out[item_pos[product]] = value
        return out

    encoder: dict[str, np.ndarray] = {}
    content = np.zeros((len(items), 4), dtype=np.float32)
    if texts:
        fitted = ContentEncoder.fit([texts.get(int(p), "") for p in items], dimensions=16)
        encoder = fitted.to_arrays()
        content = fitted.encode([texts.get(int(p), "") for p in items])
    return Bundle(
        version_id=version_id,
        label=f"test-{version_id}",
        catalogue_id="00000000-0000-0000-0000-000000000000",
        item_ids=np.asarray(items, dtype=np.int64),
        user_ids=np.asarray(users, dtype=np.int64),
        user_candidates=user_candidates,
        candidate_anchor=candidate_anchor,
        similar=_pairs_matrix(similar or {}, item_pos, item_pos),
        bought_together=_pairs_matrix(bought_together or {}, item_pos, item_pos),
        popularity=vector(popularity),
        trending=vector(trending),
        repeat_days=vector(repeat_days),
        content=content,
        encoder=encoder,
    )
