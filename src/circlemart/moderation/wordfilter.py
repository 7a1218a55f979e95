"""The sensitive-word matcher: an Aho-Corasick automaton over the folded word list.

The automaton is built once per process and rebuilt when the word list's cache generation
changes (services bump it in the transaction that edits the list), so every process sees an
edit as soon as it is committed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

# pyahocorasick ships no type information (a mypy override for it is pending).
import ahocorasick  # type: ignore[import-not-found, unused-ignore]

from circlemart.core import cache as generations
from circlemart.moderation.contracts import ACTION_STRENGTH, Action, ScreenResult
from circlemart.moderation.models import SensitiveWord
from circlemart.moderation.normalize import normalize, normalize_word

WORDS_GENERATION = "moderation:words"


@dataclass(frozen=True)
class ListedWord:
    word: str
    category: str
    action: Action


@dataclass(frozen=True)
class _Matcher:
    generation: int
    automaton: ahocorasick.Automaton | None  # None when the list is empty


_lock = threading.Lock()
_current: _Matcher | None = None


def _build(generation: int) -> _Matcher:
    entries: dict[str, ListedWord] = {}
    rows = SensitiveWord.objects.filter(is_active=True).values_list("word", "category", "action")
    for word, category, action in rows:
        key = normalize_word(word)
        if not key:
            continue
        listed = ListedWord(word=word, category=category, action=Action(action))
        existing = entries.get(key)
        # Two spellings that fold alike: the stronger action wins.
        if existing is None or ACTION_STRENGTH[listed.action] > ACTION_STRENGTH[existing.action]:
            entries[key] = listed
    if not entries:
        return _Matcher(generation=generation, automaton=None)
    automaton = ahocorasick.Automaton()
    for key, listed in entries.items():
        automaton.add_word(key, (len(key), listed))
    automaton.make_automaton()
    return _Matcher(generation=generation, automaton=automaton)


def matcher() -> _Matcher:
    global _current
    generation = generations.generations([WORDS_GENERATION])[WORDS_GENERATION]
    current = _current
    if current is not None and current.generation == generation:
        return current
    with _lock:
        if _current is None or _current.generation != generation:
            _current = _build(generation)
        return _current


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _at_word_edges(text: str, start: int, end: int) -> bool:
    """Latin words match whole words only ("ass" must not hit "class"); CJK has no edges."""
    if _is_word_char(text[start]) and start > 0 and _is_word_char(text[start - 1]):
        return False
    return not (_is_word_char(text[end]) and end + 1 < len(text) and _is_word_char(text[end + 1]))


def screen(text: str) -> ScreenResult:
    """Match `text` against the list: strongest action, masked text, categories, matches."""
    automaton = matcher().automaton
    if automaton is None or not text:
        return ScreenResult(action=Action.ALLOW, text=text, categories=(), matches=())
    folded = normalize(text)
    action = Action.ALLOW
    categories: dict[str, None] = {}
    matches: dict[str, None] = {}
    masked = list(text)
    for end, (length, listed) in automaton.iter(folded.text):
        original_start = folded.origin[end - length + 1]
        original_end = folded.origin[end]
        if not _at_word_edges(text, original_start, original_end):
            continue
        if ACTION_STRENGTH[listed.action] > ACTION_STRENGTH[action]:
            action = listed.action
        categories.setdefault(listed.category, None)
        matches.setdefault(listed.word, None)
        if listed.action == Action.MASK:
            for index in range(original_start, original_end + 1):
                masked[index] = "*"
    return ScreenResult(
        action=action,
        text="".join(masked),
        categories=tuple(categories),
        matches=tuple(matches),
    )
