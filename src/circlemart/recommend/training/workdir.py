"""A training's work directory: the results of its finished stages, so a run that was
interrupted (process killed, Ctrl-C) can be continued by the next one instead of redone.

Stages kept: "data" (the interactions, item texts and counts loaded from the shop, with the
time they were read as of), "arrays" (train_arrays' output, before it becomes a bundle) and
"validation" (the held-out metrics).
Each file is written to a temporary name and renamed; `manifest.json` lists the stages whose
files are complete, so a stage killed half-way is simply not there.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from django.conf import settings

from circlemart.recommend.algorithms.data import Interactions
from circlemart.recommend.training.sources import TrainingData

if TYPE_CHECKING:
    from circlemart.recommend.algorithms.pipeline import TrainedArrays

MANIFEST = "manifest.json"
_INTERACTION_FIELDS = tuple(field.name for field in dataclasses.fields(Interactions))
_SPARSE = "__sparse__"
_DICT = "__dict__"


def work_root() -> Path:
    return Path(settings.RECOMMEND_MODEL_DIR) / "work"


def _write_atomically(path: Path, payload: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


def finite_numbers(values: dict[str, Any]) -> dict[str, float]:
    """JSON (and PostgreSQL's jsonb) has no NaN or infinity: such metrics are left out."""
    return {
        str(key): float(value)
        for key, value in values.items()
        if isinstance(value, int | float | np.floating | np.integer) and math.isfinite(value)
    }


class WorkDirectory:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of_version(cls, version_id: int) -> WorkDirectory:
        return cls(work_root() / f"version-{version_id}")

    def exists(self) -> bool:
        return (self.path / MANIFEST).is_file()

    def stages(self) -> dict[str, dict[str, Any]]:
        try:
            manifest = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return manifest if isinstance(manifest, dict) else {}

    def has(self, stage: str) -> bool:
        return stage in self.stages()

    def stage_details(self, stage: str) -> dict[str, Any]:
        return dict(self.stages().get(stage, {}))

    def _finish_stage(self, stage: str, details: dict[str, Any]) -> None:
        manifest = self.stages()
        manifest[stage] = details
        _write_atomically(
            self.path / MANIFEST, json.dumps(manifest, ensure_ascii=False).encode("utf-8")
        )

    def create(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        if not self.exists():
            self._finish_stage("created", {})

    def adopt(self, other: WorkDirectory) -> bool:
        """Take over an interrupted run's directory (renamed, so only one run can adopt it)."""
        if not other.exists() or self.path.exists():
            return False
        try:
            os.replace(other.path, self.path)
        except OSError:
            return False
        return True

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    # --- stage "data" ---------------------------------------------------------------------

    def save_data(self, data: TrainingData, *, details: dict[str, Any]) -> None:
        arrays = {name: getattr(data.interactions, name) for name in _INTERACTION_FIELDS}
        _write_atomically(self.path / "data.npz", _npz(arrays))
        extra = {
            "texts": {str(key): value for key, value in data.item_texts.items()},
            "counts": data.counts,
            "first_at": data.first_at,
            "last_at": data.last_at,
        }
        _write_atomically(
            self.path / "data.json", json.dumps(extra, ensure_ascii=False).encode("utf-8")
        )
        self._finish_stage("data", details)

    def load_data(self) -> TrainingData:
        arrays = _load_npz(self.path / "data.npz")
        extra = json.loads((self.path / "data.json").read_text(encoding="utf-8"))
        return TrainingData(
            interactions=Interactions(**{name: arrays[name] for name in _INTERACTION_FIELDS}),
            item_texts={int(key): value for key, value in extra["texts"].items()},
            counts={str(key): int(value) for key, value in extra["counts"].items()},
            first_at=extra["first_at"],
            last_at=extra["last_at"],
        )

    # --- stage "validation" ---------------------------------------------------------------

    def save_validation(self, metrics: dict[str, float]) -> None:
        self._finish_stage("validation", {"metrics": finite_numbers(metrics)})

    def load_validation(self) -> dict[str, float]:
        return dict(self.stage_details("validation").get("metrics", {}))

    # --- stage "arrays" -------------------------------------------------------------------

    def save_arrays(self, trained: TrainedArrays) -> None:
        arrays: dict[str, np.ndarray] = {}
        metrics: dict[str, float] = {}
        for field in dataclasses.fields(trained):
            value = getattr(trained, field.name)
            if field.name == "metrics":
                metrics = finite_numbers(value)
            elif sp.issparse(value):
                matrix = sp.csr_matrix(value)
                arrays[f"{field.name}{_SPARSE}data"] = matrix.data
                arrays[f"{field.name}{_SPARSE}indices"] = matrix.indices
                arrays[f"{field.name}{_SPARSE}indptr"] = matrix.indptr
                arrays[f"{field.name}{_SPARSE}shape"] = np.asarray(matrix.shape, dtype=np.int64)
            elif isinstance(value, dict):
                for key, array in value.items():
                    arrays[f"{field.name}{_DICT}{key}"] = np.asarray(array)
                arrays[f"{field.name}{_DICT}"] = np.zeros(0)  # marks an empty dict too
            else:
                arrays[field.name] = np.asarray(value)
        _write_atomically(self.path / "arrays.npz", _npz(arrays))
        self._finish_stage("arrays", {"metrics": metrics})

    def load_arrays(self) -> TrainedArrays:
        from circlemart.recommend.algorithms.pipeline import TrainedArrays

        arrays = _load_npz(self.path / "arrays.npz")
        values: dict[str, Any] = {}
        for field in dataclasses.fields(TrainedArrays):
            name = field.name
            if name == "metrics":
                values[name] = dict(self.stage_details("arrays").get("metrics", {}))
            elif f"{name}{_SPARSE}shape" in arrays:
                values[name] = sp.csr_matrix(
                    (
                        arrays[f"{name}{_SPARSE}data"],
                        arrays[f"{name}{_SPARSE}indices"],
                        arrays[f"{name}{_SPARSE}indptr"],
                    ),
                    shape=tuple(int(n) for n in arrays[f"{name}{_SPARSE}shape"]),
                )
            elif f"{name}{_DICT}" in arrays:
                prefix = f"{name}{_DICT}"
                values[name] = {
                    key.removeprefix(prefix): array
                    for key, array in arrays.items()
                    if key.startswith(prefix) and key != prefix
                }
            else:
                values[name] = arrays[name]
        return TrainedArrays(**values)
