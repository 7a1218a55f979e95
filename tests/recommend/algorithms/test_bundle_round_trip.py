"""The pipeline's arrays survive the lead's bundle file format unchanged."""

from pathlib import Path

import numpy as np

from circlemart.recommend.algorithms.content import ContentEncoder
from circlemart.recommend.algorithms.pipeline import train_arrays
from circlemart.recommend.bundle import Bundle, bundle_load, bundle_save
from tests.recommend.algorithms.toy import NOW, two_clusters


def test_trained_arrays_round_trip_through_a_bundle_file(tmp_path: Path):
    data = two_clusters()
    texts = {int(item): f"group {int(item) // 10} 商品 {int(item)}" for item in data.items}
    arrays = train_arrays(data, item_texts=texts, now=NOW, neighbours=3)
    fields = {
        name: getattr(arrays, name) for name in arrays.__dataclass_fields__ if name != "metrics"
    }
    bundle = Bundle(version_id=1, label="v1", catalogue_id="shop", **fields)

    name, digest = bundle_save(bundle, tmp_path)
    loaded = bundle_load(tmp_path / name, expected_sha256=digest, catalogue_id="shop")

    assert loaded.candidate_anchor.indptr.tolist() == arrays.candidate_anchor.indptr.tolist()
    assert loaded.candidate_anchor.indices.tolist() == arrays.user_candidates.indices.tolist()
    assert np.array_equal(loaded.user_candidates.toarray(), arrays.user_candidates.toarray())
    encoder = ContentEncoder.from_arrays(loaded.encoder)
    assert np.allclose(encoder.encode([texts[10]]), arrays.content[:1], atol=1e-6)
