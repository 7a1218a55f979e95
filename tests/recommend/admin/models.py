"""Model versions with real, verifiable files for the back-office tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from circlemart.recommend.bundle import Bundle, bundle_save
from circlemart.recommend.models import CatalogueIdentity, ModelVersion


def shop_catalogue() -> str:
    identity, _created = CatalogueIdentity.objects.get_or_create(id=1)
    return str(identity.catalogue_id)


def tiny_bundle(label: str, catalogue_id: str) -> Bundle:
    items, users = np.array([11, 12, 13], dtype=np.int64), np.array([7], dtype=np.int64)
    return Bundle(
        version_id=0,
        label=label,
        catalogue_id=catalogue_id,
        item_ids=items,
        user_ids=users,
        user_candidates=sp.csr_matrix(np.array([[0, 0.5, 0.25]], dtype=np.float32)),
        candidate_anchor=sp.csr_matrix(np.array([[0, 1, 1]], dtype=np.int32)),
        similar=sp.csr_matrix((3, 3), dtype=np.float32),
        bought_together=sp.csr_matrix((3, 3), dtype=np.float32),
        popularity=np.array([3, 2, 1], dtype=np.float32),
        trending=np.array([0, 1, 0], dtype=np.float32),
        repeat_days=np.zeros(3, dtype=np.float32),
        content=np.eye(3, 2, dtype=np.float32),
    )


def ready_version(
    model_dir: Path, label: str, *, catalogue_id: str | None = None, **fields: Any
) -> ModelVersion:
    """A ready version whose file is saved and verifies (unless the test breaks it)."""
    catalogue = catalogue_id or shop_catalogue()
    artifact, digest = bundle_save(tiny_bundle(label, catalogue), model_dir)
    return ModelVersion.objects.create(
        label=label,
        status=ModelVersion.Status.READY,
        artifact=artifact,
        sha256=digest,
        catalogue_id=catalogue,
        **fields,
    )
