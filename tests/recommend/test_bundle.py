from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from circlemart.recommend.bundle import (
    Bundle,
    BundleCorrupt,
    BundleMismatch,
    bundle_load,
    bundle_save,
)

CATALOGUE = "6f1c2f7e-8d1e-4f43-9a57-0c1b2d3e4f50"


def _bundle(label: str = "v1") -> Bundle:
    items, users = np.array([11, 12, 13], dtype=np.int64), np.array([7, 8], dtype=np.int64)
    candidates = sp.csr_matrix(np.array([[0, 0.5, 0.25], [0.75, 0, 0]], dtype=np.float32))
    anchors = sp.csr_matrix(np.array([[0, 1, 1], [2, 0, 0]], dtype=np.int32))
    similar = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=np.float32))
    return Bundle(
        version_id=0,
        label=label,
        catalogue_id=CATALOGUE,
        item_ids=items,
        user_ids=users,
        user_candidates=candidates,
        candidate_anchor=anchors,
        similar=similar,
        bought_together=sp.csr_matrix((3, 3), dtype=np.float32),
        popularity=np.array([3, 2, 1], dtype=np.float32),
        trending=np.array([0, 1, 0], dtype=np.float32),
        repeat_days=np.array([0, 30, 0], dtype=np.float32),
        content=np.eye(3, 2, dtype=np.float32),
        encoder={"vocabulary": np.array(["tea", "茶"]), "projection": np.ones((2, 2))},
    )


def test_a_saved_bundle_loads_back_whole(tmp_path: Path) -> None:
    name, digest = bundle_save(_bundle(), tmp_path)

    loaded = bundle_load(tmp_path / name, expected_sha256=digest, catalogue_id=CATALOGUE)

    assert name == "v1.npz"
    assert loaded.label == "v1"
    assert loaded.item_index(12) == 1
    assert loaded.item_index(99) is None
    assert loaded.user_index(8) == 1
    assert loaded.user_candidates.toarray().tolist() == [[0, 0.5, 0.25], [0.75, 0, 0]]
    assert loaded.candidate_anchor.dtype == np.int32
    assert loaded.repeat_days.tolist() == [0, 30, 0]
    assert loaded.encoder["vocabulary"].tolist() == ["tea", "茶"]
    assert list(tmp_path.iterdir()) == [tmp_path / name]  # no temporary file left behind


def test_a_flipped_byte_is_refused(tmp_path: Path) -> None:
    name, digest = bundle_save(_bundle(), tmp_path)
    path = tmp_path / name
    payload = bytearray(path.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    path.write_bytes(bytes(payload))

    with pytest.raises(BundleCorrupt, match="SHA-256"):
        bundle_load(path, expected_sha256=digest, catalogue_id=CATALOGUE)


def test_a_truncated_file_with_a_matching_hash_is_refused(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "cut.npz"
    path.write_bytes(b"PK\x03\x04 not a whole archive")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    with pytest.raises(BundleCorrupt, match="not a complete model file"):
        bundle_load(path, expected_sha256=digest, catalogue_id=CATALOGUE)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleCorrupt, match="cannot read"):
        bundle_load(tmp_path / "gone.npz", expected_sha256="0" * 64, catalogue_id=CATALOGUE)


def test_a_model_of_another_catalogue_is_refused(tmp_path: Path) -> None:
    name, digest = bundle_save(_bundle(), tmp_path)

    with pytest.raises(BundleMismatch, match="another catalogue"):
        bundle_load(
            tmp_path / name,
            expected_sha256=digest,
            catalogue_id="00000000-0000-4000-8000-000000000000",
        )


def test_shapes_that_disagree_are_refused_before_writing(tmp_path: Path) -> None:
    broken = _bundle()
    object.__setattr__(broken, "popularity", np.zeros(2, dtype=np.float32))

    with pytest.raises(BundleCorrupt, match="one value per item"):
        bundle_save(broken, tmp_path)
    assert list(tmp_path.iterdir()) == []
