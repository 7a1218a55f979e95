"""The serving artefact: one trained model's arrays in one `.npz` file (no pickle), verified by
its SHA-256 and the shop's catalogue identity before it serves, loaded once per process and
swapped when the serving slot moves to another version."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from django.conf import settings

logger = logging.getLogger(__name__)

FORMAT = 1
_MATRICES = ("user_candidates", "candidate_anchor", "similar", "bought_together")
_VECTORS = ("item_ids", "user_ids", "popularity", "trending", "repeat_days", "content")
_ENCODER_PREFIX = "encoder__"


class BundleCorrupt(Exception):
    """The file is missing, unreadable, truncated, of another format or its hash differs."""


class BundleMismatch(Exception):
    """The file was trained on another shop's catalogue."""


@dataclass(frozen=True)
class Bundle:
    version_id: int
    label: str
    catalogue_id: str
    item_ids: np.ndarray  # int64 product ids; position = item index
    user_ids: np.ndarray  # int64 user ids; position = user index
    user_candidates: sp.csr_matrix  # float32 users × items: top-N blended scores per user
    # int32, same sparsity: 1 + index of the history item that explains the candidate, 0 = none
    candidate_anchor: sp.csr_matrix
    similar: sp.csr_matrix  # float32 items × items: top-K neighbours
    bought_together: sp.csr_matrix  # float32 items × items: top-K co-purchases
    popularity: np.ndarray  # float32 [items]
    trending: np.ndarray  # float32 [items]
    repeat_days: np.ndarray  # float32 [items]: typical days between re-purchases, 0 = not repeat
    content: np.ndarray  # float32 items × d, L2-normalised
    encoder: dict[str, np.ndarray] = field(default_factory=dict)
    _item_positions: dict[int, int] = field(default_factory=dict, compare=False, repr=False)
    _user_positions: dict[int, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._item_positions.update({int(i): n for n, i in enumerate(self.item_ids)})
        self._user_positions.update({int(u): n for n, u in enumerate(self.user_ids)})

    def item_index(self, product_id: int) -> int | None:
        return self._item_positions.get(int(product_id))

    def user_index(self, user_id: int) -> int | None:
        return self._user_positions.get(int(user_id))

    def check_shapes(self) -> None:
        items, users = len(self.item_ids), len(self.user_ids)
        expected = {
            "user_candidates": (users, items),
            "candidate_anchor": (users, items),
            "similar": (items, items),
            "bought_together": (items, items),
        }
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise BundleCorrupt(f"{name} has shape {getattr(self, name).shape}, not {shape}")
        for name in ("popularity", "trending", "repeat_days"):
            if getattr(self, name).shape != (items,):
                raise BundleCorrupt(f"{name} does not have one value per item")
        if self.content.ndim != 2 or self.content.shape[0] != items:
            raise BundleCorrupt("content does not have one row per item")


def _arrays_of(bundle: Bundle) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {name: getattr(bundle, name) for name in _VECTORS}
    for name in _MATRICES:
        matrix = sp.csr_matrix(getattr(bundle, name))
        arrays[f"{name}__data"] = matrix.data
        arrays[f"{name}__indices"] = matrix.indices
        arrays[f"{name}__indptr"] = matrix.indptr
        arrays[f"{name}__shape"] = np.asarray(matrix.shape, dtype=np.int64)
    for key, value in bundle.encoder.items():
        arrays[_ENCODER_PREFIX + key] = value
    arrays["meta__format"] = np.asarray([FORMAT], dtype=np.int64)
    arrays["meta__catalogue"] = np.asarray([bundle.catalogue_id])
    arrays["meta__label"] = np.asarray([bundle.label])
    return arrays


def bundle_save(bundle: Bundle, directory: Path) -> tuple[str, str]:
    """Write the bundle atomically (temporary file, fsync, rename); returns (file name, sha256)."""
    bundle.check_shapes()
    directory.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **_arrays_of(bundle))
    payload = buffer.getvalue()
    name = f"{bundle.label}.npz"
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, directory / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name, hashlib.sha256(payload).hexdigest()


def _matrix(arrays: dict[str, np.ndarray], name: str) -> sp.csr_matrix:
    shape = tuple(int(n) for n in arrays[f"{name}__shape"])
    return sp.csr_matrix(
        (arrays[f"{name}__data"], arrays[f"{name}__indices"], arrays[f"{name}__indptr"]),
        shape=shape,
    )


def bundle_load(
    path: Path, *, expected_sha256: str, catalogue_id: str, version_id: int = 0
) -> Bundle:
    try:
        payload = path.read_bytes()
    except OSError as error:
        raise BundleCorrupt(f"cannot read {path.name}: {error.strerror}") from error
    if hashlib.sha256(payload).hexdigest() != expected_sha256:
        raise BundleCorrupt(f"{path.name} does not match its recorded SHA-256")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        if int(arrays["meta__format"][0]) != FORMAT:
            raise BundleCorrupt(f"{path.name} has format {arrays['meta__format'][0]}")
        if str(arrays["meta__catalogue"][0]) != str(catalogue_id):
            raise BundleMismatch(f"{path.name} was trained on another catalogue")
        bundle = Bundle(
            version_id=version_id,
            label=str(arrays["meta__label"][0]),
            catalogue_id=str(catalogue_id),
            **{name: arrays[name] for name in _VECTORS},
            **{name: _matrix(arrays, name) for name in _MATRICES},
            encoder={
                key.removeprefix(_ENCODER_PREFIX): value
                for key, value in arrays.items()
                if key.startswith(_ENCODER_PREFIX)
            },
        )
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile) as error:
        raise BundleCorrupt(f"{path.name} is not a complete model file ({error})") from error
    bundle.check_shapes()
    return bundle


def model_path(artifact: str) -> Path:
    return Path(settings.RECOMMEND_MODEL_DIR) / artifact


class _ActiveBundle:
    """The serving slot's bundle in this process: re-read the slot at most every
    RECOMMEND_SLOT_CHECK_SECONDS, reload the file only when the version changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bundle: Bundle | None = None
        self._version_id: int | None = None
        self._checked_at = -1e9
        self._override: list[Bundle | None] = []

    def get(self) -> Bundle | None:
        if self._override:
            return self._override[-1]
        now = time.monotonic()
        if now - self._checked_at < settings.RECOMMEND_SLOT_CHECK_SECONDS:
            return self._bundle
        with self._lock:
            if now - self._checked_at >= settings.RECOMMEND_SLOT_CHECK_SECONDS:
                self._refresh()
                self._checked_at = time.monotonic()
        return self._bundle

    def _refresh(self) -> None:
        from circlemart.recommend.models import CatalogueIdentity, ServingSlot

        slot = ServingSlot.objects.filter(name="default").select_related("version").first()
        version = slot.version if slot else None
        if version is None:
            self._bundle, self._version_id = None, None
            return
        if version.id == self._version_id:
            return
        # The shop's own identity, not the version row's: a restored or copied database of
        # another shop must not serve this one's model file.
        shop = CatalogueIdentity.objects.filter(pk=1).values_list("catalogue_id", flat=True)
        try:
            self._bundle = bundle_load(
                model_path(version.artifact),
                expected_sha256=version.sha256,
                catalogue_id=str(shop.first() or ""),
                version_id=version.id,
            )
        except (BundleCorrupt, BundleMismatch):
            logger.exception("model %s cannot serve; non-personalised lists instead", version)
            self._bundle = None
        self._version_id = version.id

    def forget(self) -> None:
        with self._lock:
            self._bundle, self._version_id, self._checked_at = None, None, -1e9


_active = _ActiveBundle()


def active_bundle() -> Bundle | None:
    """The serving model, or None (no model yet, or its file is broken: callers fall back to
    non-personalised lists)."""
    return _active.get()


def forget_active_bundle() -> None:
    """Make this process re-read the serving slot on the next call (after a switch)."""
    _active.forget()


@contextmanager
def use_bundle_for_tests(bundle: Bundle | None) -> Iterator[None]:
    """Serve `bundle` (or no model) in this process for the duration of a test."""
    _active._override.append(bundle)
    try:
        yield
    finally:
        _active._override.pop()
