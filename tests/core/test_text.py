"""Plain-text hygiene for every piece of user text."""

from __future__ import annotations

import pytest
from django.utils import translation

from circlemart.core.errors import ValidationFailed
from circlemart.core.text import clean_plain_text


def clean(value, **options):
    options.setdefault("field", "bio")
    options.setdefault("max_length", 50)
    return clean_plain_text(value, **options)


def refusal(value, **options) -> ValidationFailed:
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        clean(value, **options)
    return caught.value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  hello world  ", "hello world"),
        (None, ""),
        ("", ""),
        ("e\u0301te\u0301", "été"),  # decomposed accents are composed (NFC)
        ("ｆｕｌｌ-width 全角", "ｆｕｌｌ-width 全角"),  # NFC, not NFKC: typed text is kept
        ("a\x00b\x07c\x1bd", "abcd"),  # control characters dropped
        ("tab\there", "tabhere"),
        ("line one\nline two", "line oneline two"),  # single-line text loses newlines
        ("zero\u200bwidth", "zerowidth"),  # invisible format characters dropped
        ("\u202eevil", "evil"),  # right-to-left override cannot flip the text
        ("小红书 🛍️ 购物", "小红书 🛍️ 购物"),
        ("<b>bold</b> & 'quoted'", "<b>bold</b> & 'quoted'"),  # stored as typed, escaped later
    ],
)
def test_single_line_text_is_normalised_and_trimmed(value, expected):
    assert clean(value) == expected


def test_multiline_text_keeps_newlines_and_unifies_line_endings():
    value = "  first\r\nsecond\n\n\tthird\x00  \n"
    assert clean(value, multiline=True, max_length=100) == "first\nsecond\n\nthird"


def test_length_is_measured_after_cleaning():
    assert clean("   abc   ", max_length=3) == "abc"
    assert clean("a\u200b\u200b\u200bb", max_length=2) == "ab"
    # a decomposed "é" is two code points before NFC and one after
    assert clean("e\u0301" * 3, max_length=3) == "é" * 3


def test_too_long_is_refused_with_the_limit():
    error = refusal("x" * 51, max_length=50)
    assert (error.code, error.field, error.message) == (
        "too_long",
        "bio",
        "Must be at most 50 characters.",
    )


def test_exactly_the_limits_are_accepted():
    assert clean("x" * 50, max_length=50) == "x" * 50
    assert clean("abc", min_length=3) == "abc"


def test_required_text_refuses_blank_input():
    for value in (None, "", "   ", "\x00\u200b"):
        error = refusal(value, min_length=1, field="nickname")
        assert (error.code, error.field, error.message) == (
            "required",
            "nickname",
            "This field is required.",
        )


def test_too_short_is_refused_with_the_minimum():
    error = refusal("ab", min_length=3)
    assert (error.code, error.field, error.message) == (
        "too_short",
        "bio",
        "Must be at least 3 characters.",
    )


@pytest.mark.parametrize("char", ["<", ">", '"', "'", "`", "&"])
def test_names_refuse_markup_characters(char):
    error = refusal(f"ali{char}ce", name_like=True, field="nickname")
    assert (error.code, error.field, error.message) == (
        "invalid_characters",
        "nickname",
        "Must not contain < > \" ' ` or &.",
    )


def test_names_accept_ordinary_punctuation():
    assert clean("小明 (Ming) - 上海!", name_like=True) == "小明 (Ming) - 上海!"


def test_messages_are_translated():
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as caught:
        clean("x" * 11, max_length=10)
    assert caught.value.message == "最多 10 个字符。"
