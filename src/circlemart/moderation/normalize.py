"""Text normalisation for the sensitive-word filter, with a map back to the original text.

The filter matches on a folded form of the text so that variants meet the listed word:
NFKC (full/half width), case folding, traditional → simplified Chinese, and separators
(spaces, punctuation, symbols, zero-width and other format characters) dropped. Every
character of the folded form remembers which original character it came from, so a match
can be masked in the text as the user typed it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# Unicode general categories dropped between characters: separators (Z*), punctuation (P*),
# symbols (S*), controls and format characters (Cc, Cf: zero-width space/joiners, bidi marks),
# and combining marks (Mn, Me: strike-through and accent tricks over Latin letters).
_DROPPED_CATEGORY_PREFIXES = ("Z", "P", "S")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"})


@dataclass(frozen=True)
class Normalized:
    """`text` is the folded form; `origin[i]` is the index in the original of `text[i]`."""

    text: str
    origin: tuple[int, ...]


@lru_cache(maxsize=1)
def traditional_to_simplified() -> dict[str, str]:
    """One-character traditional → simplified table from OpenCC's dictionary.

    Only the character table is used (no phrase table) so that folding keeps one output
    character per input character and the origin map stays exact.
    """
    source = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    table: dict[str, str] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 1 and len(parts[1]) == 1:
            table[parts[0]] = parts[1]
    return table


def _is_dropped(char: str) -> bool:
    category = unicodedata.category(char)
    return category.startswith(_DROPPED_CATEGORY_PREFIXES) or category in _DROPPED_CATEGORIES


def normalize(text: str) -> Normalized:
    """Fold `text` for matching and keep where each folded character came from."""
    to_simplified = traditional_to_simplified()
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for piece in unicodedata.normalize("NFKC", char).casefold():
            if _is_dropped(piece):
                continue
            folded.append(to_simplified.get(piece, piece))
            origin.append(index)
    return Normalized(text="".join(folded), origin=tuple(origin))


def normalize_word(word: str) -> str:
    """The folded form of a listed word (what the automaton stores)."""
    return normalize(word).text
