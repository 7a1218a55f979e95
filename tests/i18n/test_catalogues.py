"""Every Chinese catalogue is complete: no empty and no fuzzy translation, and no English
sentence, everyday English word or half-width punctuation slipped into a Chinese msgstr."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import circlemart

PACKAGE = Path(circlemart.__file__).parent
CATALOGUES = sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(
    r"%\([a-z_]+\)[-+ #0]*\d*(?:\.\d+)?[sdf]|%[sd]|\{[a-z_]*\}|<[^>]+>|&[a-z]+;"
)
# A word on its own, not part of an identifier, path or format (add_to_cart, a/b, day,channel).
WORD = re.compile(r"(?<![\w/.,=-])[A-Za-z]+(?![\w/.,=-])")
# Quoted examples and formats keep their ASCII punctuation (“颜色=黑色;尺码=M”, 例如：a, b).
EXAMPLE = re.compile(r"“[^”]*”|例如.*")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
HALF_WIDTH_AFTER_CHINESE = re.compile(r"[\u4e00-\u9fff][,;!?]|[\u4e00-\u9fff]:(?!\d)")
EVERYDAY_ENGLISH = {
    "the", "and", "of", "to", "with", "your", "you", "off", "ago", "left", "day", "days",
    "min", "mins", "hour", "hours", "sold", "free", "new", "here", "more", "please", "order",
    "orders", "coupon", "points", "group", "note", "notes", "shop", "cart", "buy", "pay",
}  # fmt: skip


def _entries(path: Path) -> list[tuple[str, str, bool]]:
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_Hans")
    rows = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        rows.extend((ids[0], string or "", message.fuzzy) for string in strings)
    return rows


def test_there_are_catalogues() -> None:
    assert len(CATALOGUES) >= 10


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_message_has_a_finished_chinese_translation(path: Path) -> None:
    problems = [
        f"{'fuzzy' if fuzzy else 'empty'}: {msgid!r}"
        for msgid, string, fuzzy in _entries(path)
        if fuzzy or not string.strip()
    ]
    assert not problems, f"{path.relative_to(PACKAGE)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_chinese_translations_have_no_english_slips(path: Path) -> None:
    """Technical terms (JPEG, GMV, application/json, field names) may stay in Latin letters;
    a copied English sentence, an everyday English word or half-width punctuation after a
    Chinese character may not."""
    problems = []
    for msgid, string, _fuzzy in _entries(path):
        text = PLACEHOLDER.sub(" ", string)
        words = {word.lower() for word in WORD.findall(text)}
        if (
            not CHINESE.search(string)
            and len(re.findall(r"[a-z]{3,}", PLACEHOLDER.sub(" ", msgid))) >= 2
        ):
            problems.append(f"not translated: {msgid!r} → {string!r}")
        elif words & EVERYDAY_ENGLISH:
            problems.append(f"English words {sorted(words & EVERYDAY_ENGLISH)}: {string!r}")
        elif HALF_WIDTH_AFTER_CHINESE.search(EXAMPLE.sub(" ", text)):
            problems.append(f"half-width punctuation: {string!r}")
    assert not problems, f"{path.relative_to(PACKAGE)}:\n  " + "\n  ".join(problems)
