import numpy as np
import pytest

from circlemart.recommend.algorithms.content import ContentEncoder, tokenise

TEXTS = [
    "红色连衣裙 夏季女装",
    "夏季碎花连衣裙 女",
    "男士跑步鞋 运动",
    "运动跑步鞋 男款",
    "red summer dress",
    "floral summer dress for women",
    "men's running shoes",
    "running shoes for sport",
]


def test_tokenise_splits_chinese_into_words_and_bigrams_and_lowercases_english():
    tokens = tokenise("Red 连衣裙")

    assert "red" in tokens
    assert "连衣裙" in tokens
    assert {"连衣", "衣裙"} <= set(tokens)


def test_each_text_is_closest_to_its_related_text_in_both_languages():
    encoder = ContentEncoder.fit(TEXTS, dimensions=6)
    vectors = encoder.encode(TEXTS)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)

    assert similarity.argmax(axis=1).tolist() == [1, 0, 3, 2, 5, 4, 7, 6]
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(8), abs=1e-5)


def test_unknown_words_encode_to_a_zero_vector_and_empty_input_to_no_rows():
    encoder = ContentEncoder.fit(TEXTS, dimensions=6)

    assert encoder.encode(["zzz qqq"]).tolist() == [[0.0] * encoder.dimensions]
    assert encoder.encode([]).shape == (0, encoder.dimensions)


def test_encoder_round_trips_through_plain_arrays():
    encoder = ContentEncoder.fit(TEXTS, dimensions=4)
    arrays = encoder.to_arrays()

    restored = ContentEncoder.from_arrays(arrays)

    assert all(array.dtype != object for array in arrays.values())
    assert np.allclose(restored.encode(TEXTS), encoder.encode(TEXTS))


def test_from_arrays_refuses_missing_or_inconsistent_arrays():
    arrays = ContentEncoder.fit(TEXTS, dimensions=4).to_arrays()

    with pytest.raises(ValueError, match=r"lack \['idf'\]"):
        ContentEncoder.from_arrays({k: v for k, v in arrays.items() if k != "idf"})
    with pytest.raises(ValueError, match="inconsistent shapes"):
        ContentEncoder.from_arrays({**arrays, "idf": arrays["idf"][:-1]})


def test_a_one_item_catalogue_still_encodes():
    encoder = ContentEncoder.fit(["single product"])

    assert encoder.encode(["single product"]).shape[0] == 1
