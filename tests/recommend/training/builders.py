"""Ready model versions without training: a tiny bundle saved the way the job saves one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.conf import settings

from circlemart.core import clock
from circlemart.recommend.bundle import Bundle, bundle_save
from circlemart.recommend.models import ModelVersion
from circlemart.recommend.services.versions import catalogue_identity


def tiny_bundle(label: str, catalogue_id: str) -> Bundle:
    items, users = np.array([11, 12, 13], dtype=np.int64), np.array([7, 8], dtype=np.int64)
    candidates = sp.csr_matrix(np.array([[0, 0.5, 0.25], [0.75, 0, 0]], dtype=np.float32))
    return Bundle(
        version_id=0,
        label=label,
        catalogue_id=catalogue_id,
        item_ids=items,
        user_ids=users,
        user_candidates=candidates,
        candidate_anchor=sp.csr_matrix(np.array([[0, 1, 1], [2, 0, 0]], dtype=np.int32)),
        similar=sp.csr_matrix((3, 3), dtype=np.float32),
        bought_together=sp.csr_matrix((3, 3), dtype=np.float32),
        popularity=np.array([3, 2, 1], dtype=np.float32),
        trending=np.array([0, 1, 0], dtype=np.float32),
        repeat_days=np.array([0, 30, 0], dtype=np.float32),
        content=np.eye(3, 2, dtype=np.float32),
        encoder={},
    )


def ready_version(
    label: str, *, metrics: dict[str, float] | None = None, age_days: float = 1, **fields: Any
) -> ModelVersion:
    catalogue = catalogue_identity()
    artifact, sha256 = bundle_save(tiny_bundle(label, catalogue), settings.RECOMMEND_MODEL_DIR)
    finished = clock.now() - timedelta(days=age_days)
    return ModelVersion.objects.create(
        label=label,
        status=ModelVersion.Status.READY,
        started_at=finished - timedelta(minutes=1),
        finished_at=finished,
        progress=1.0,
        artifact=artifact,
        sha256=sha256,
        catalogue_id=catalogue,
        metrics=metrics or {},
        **fields,
    )
