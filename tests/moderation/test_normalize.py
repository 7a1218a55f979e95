"""The normaliser folds variants together and remembers where each character came from."""

from __future__ import annotations

import pytest

from circlemart.moderation.normalize import normalize, normalize_word


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("ＡＢＣ", "abc"),  # full width
        ("ｶﾀｶﾅ", "カタカナ"),  # half-width katakana
        ("賭博網站", "赌博网站"),  # traditional → simplified
        ("加 微 信", "加微信"),
        ("加*微*信", "加微信"),
        ("加\u200d微\u200b信\ufeff", "加微信"),  # zero-width joiner, space, BOM
        ("加　微-信！", "加微信"),  # ideographic space, punctuation
        ("CliCK HeRe To WiN", "clickheretowin"),
        ("s\u0336p\u0336a\u0336m\u0336", "spam"),  # strike-through combining marks
        ("①②", "12"),
        ("ß", "ss"),
    ],
)
def test_folds(raw, folded):
    assert normalize(raw).text == folded


def test_origin_points_at_the_original_characters():
    folded = normalize("a 加*微 信!")
    assert folded.text == "a加微信"
    assert folded.origin == (0, 2, 4, 6)


def test_expanding_characters_map_every_piece_to_their_source():
    folded = normalize("xﬁy")
    assert folded.text == "xfiy"
    assert folded.origin == (0, 1, 1, 2)


def test_words_fold_like_text():
    assert normalize_word("Click Here") == "clickhere"
    assert normalize_word("賭博") == "赌博"
    assert normalize_word("  !! ") == ""
