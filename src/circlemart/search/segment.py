"""Word segmentation for documents and queries alike: jieba for Chinese, lower-cased English
snowball stems for Latin words, digits and model numbers kept.

`segment(text)` gives a document's index terms; `segment(text, for_query=True)` the terms a
query must all match. Both come from the same pipeline:

- NFKC (full-width → half-width), case folding, accents stripped from Latin words;
  everything but letters, digits and joiners inside a word (``- . + # & ' /``) is a separator,
  so FTS/SQL syntax, emoji and control characters never reach a backend;
- Chinese runs: a document emits jieba's search-engine cut (every dictionary 2- and 3-gram
  of a long word plus the word: 蓝牙耳机 → 蓝牙 耳机 蓝牙耳机); a query emits, per word of
  the precise cut, the finest of those grams that cover it. A query term is therefore
  always one a matching document also has: "蓝牙耳机" finds "无线蓝牙降噪耳机";
- Latin words: split at joiners and at letter/digit boundaries, each piece stemmed
  ("Headphones" and "headphone" → headphon). A document also keeps the unsplit forms
  (WH-1000XM4 → wh 1000 xm 4 1000xm4 wh1000xm4), a query only the pieces.

jieba loads lazily on first use, once per process and thread-safely, with its log silenced
and its cache in the data directory; it never downloads anything. Its user dictionary is the
committed `data/userdict.txt` plus the catalog's brand and category names (refreshed when the
category tree changes and every SEARCH_DICTIONARY_REFRESH_SECONDS).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]
from django.conf import settings
from django.db import DatabaseError

logger = logging.getLogger(__name__)

RAW_INPUT_MAX_CHARS = 1000  # read no further into whatever was sent
QUERY_MAX_CHARS = 100  # a normalised query is cut (at a word boundary) to this
QUERY_MAX_TERMS = 16  # an AND of more terms only costs time
LATIN_CORRECTABLE_MIN_LENGTH = 3

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
JOINERS = "-.+#&'/"
_WORD = rf"[^\W_{HAN}]+"
_TOKEN_RE = re.compile(
    rf"(?P<han>[{HAN}]+)|(?P<word>{_WORD}(?:[{re.escape(JOINERS)}]{_WORD})*)", re.UNICODE
)
_JOINER_RE = re.compile(rf"[{re.escape(JOINERS)}]")
_PIECE_RE = re.compile(r"\d+|[^\W\d_]+", re.UNICODE)
_HAN_CHAR_RE = re.compile(rf"[{HAN}]")

# fmt: off
ENGLISH_STOPWORDS = frozenset((
    "a", "an", "the", "and", "or", "not", "of", "for", "with", "without", "in", "on", "at",
    "to", "by", "from", "is", "are", "be", "as", "it", "its", "this", "that", "these", "those",
))
CHINESE_STOPWORDS = frozenset((
    "的", "了", "和", "与", "及", "或", "在", "是", "也", "都", "就", "而", "之", "等", "着",
    "把", "被", "让", "给", "从", "于", "吗", "呢", "吧", "啊", "呀",
))
# fmt: on


# --- Normalisation ---------------------------------------------------------------------------


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    """("han" | "word", run) pairs of NFKC-normalised, case-folded text."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    for match in _TOKEN_RE.finditer(folded):
        kind = "han" if match.lastgroup == "han" else "word"
        yield kind, match.group(0)


def normalise(text: str, *, max_chars: int = QUERY_MAX_CHARS) -> str:
    """Plain, case-folded text of letters, digits and in-word joiners, single-spaced and cut
    at a word boundary: the form searches are logged, counted and suggested under."""
    kept: list[str] = []
    length = 0
    for _kind, token in _tokens(text[:RAW_INPUT_MAX_CHARS]):
        needed = len(token) + (1 if kept else 0)
        if length + needed > max_chars:
            if not kept:  # one endless word: keep its beginning
                kept.append(token[:max_chars])
            break
        kept.append(token)
        length += needed
    return " ".join(kept)


def _strip_accents(word: str) -> str:
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


# --- Latin words -----------------------------------------------------------------------------

_stemmers = threading.local()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """English snowball stem of an ASCII alphabetic word; anything else unchanged."""
    if len(word) < 3 or not (word.isascii() and word.isalpha()):
        return word
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:  # snowball stemmers keep state between calls: one per thread
        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def _latin_terms(word: str, *, for_query: bool) -> list[str]:
    parts = [part for part in _JOINER_RE.split(_strip_accents(word)) if part]
    terms: list[str] = []
    for part in parts:
        pieces = _PIECE_RE.findall(part)
        terms.extend(stem(piece) for piece in pieces if piece not in ENGLISH_STOPWORDS)
        if not for_query and len(pieces) > 1:
            terms.append(part)
    if not for_query and len(parts) > 1:
        terms.append("".join(parts))
    return terms


def is_latin_term(term: str) -> bool:
    """Terms that enter the typo-correction vocabulary."""
    return len(term) >= 2 and term.isascii() and term.isalpha()


def _correctable(word: str) -> bool:
    return (
        len(word) >= LATIN_CORRECTABLE_MIN_LENGTH
        and word.isascii()
        and word.isalpha()
        and word not in ENGLISH_STOPWORDS
    )


# --- jieba -----------------------------------------------------------------------------------

VocabularySource = Callable[[], Iterable[str]]


class _Jieba:
    """One jieba tokenizer per process, built on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer: Any = None
        self._added: set[str] = set()
        self._vocabulary_source: VocabularySource | None = None
        self._refreshed_at = 0.0

    def set_vocabulary_source(self, source: VocabularySource | None) -> None:
        self._vocabulary_source = source

    def tokenizer(self) -> Any:
        tokenizer = self._tokenizer
        if tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = self._build()
                    self._refresh_locked()
                tokenizer = self._tokenizer
        elif time.monotonic() - self._refreshed_at > _refresh_seconds() and self._lock.acquire(
            blocking=False
        ):
            # One thread refreshes; the others go on with the dictionary they have.
            try:
                self._refresh_locked()
            finally:
                self._lock.release()
        return tokenizer

    @staticmethod
    def _build() -> Any:
        with warnings.catch_warnings():  # jieba imports pkg_resources and has old escapes
            warnings.simplefilter("ignore")
            import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        cache_dir = Path(settings.DATA_DIR) / "cache"
        cache_dir.mkdir(parents=True, exist_ok=True)
        tokenizer.tmp_dir = str(cache_dir)  # not the shared /tmp: the cache is unpickled
        tokenizer.initialize()
        for word, frequency in _bundled_words():
            tokenizer.add_word(word, frequency)
        return tokenizer

    def _refresh_locked(self) -> None:
        self._refreshed_at = time.monotonic()
        source = self._vocabulary_source
        if source is None:
            return
        try:
            names = list(source())
        except DatabaseError:  # e.g. before migrate: segment with what we have, retry later
            logger.warning("search vocabulary could not be read", exc_info=True)
            return
        self._add_locked(names)

    def _add_locked(self, names: Iterable[str]) -> int:
        added = 0
        for name in names:
            for run in re.findall(rf"[{HAN}]{{2,}}", unicodedata.normalize("NFKC", name)):
                if run in self._added:
                    continue
                # Frequency None: jieba picks the least that keeps the run in one piece.
                self._tokenizer.add_word(run, None)
                self._added.add(run)
                added += 1
        return added

    def add_words(self, names: Iterable[str]) -> int:
        self.tokenizer()
        fresh = [name for name in names if name]
        with self._lock:
            return self._add_locked(fresh)

    def refresh(self) -> None:
        self.tokenizer()
        with self._lock:
            self._refresh_locked()


def _refresh_seconds() -> float:
    return float(getattr(settings, "SEARCH_DICTIONARY_REFRESH_SECONDS", 600))


@lru_cache(maxsize=1)
def _bundled_words() -> tuple[tuple[str, int | None], ...]:
    text = (resources.files("circlemart.search.data") / "userdict.txt").read_text("utf-8")
    words: list[tuple[str, int | None]] = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            words.append((fields[0], int(fields[1]) if len(fields) > 1 else None))
    return tuple(words)


_jieba = _Jieba()


def set_vocabulary_source(source: VocabularySource | None) -> None:
    """Where brand and category names come from (the search app wires the catalog in)."""
    _jieba.set_vocabulary_source(source)


def refresh_vocabulary() -> None:
    """Re-read brand and category names now (the category tree or brands changed)."""
    _jieba.refresh()


def add_words(names: Iterable[str]) -> int:
    """Make sure these names (a product's own brand and categories) are dictionary words."""
    return _jieba.add_words(names)


def _han_terms(run: str, *, for_query: bool) -> list[str]:
    tokenizer = _jieba.tokenizer()
    if not for_query:
        return [word for word in tokenizer.cut_for_search(run, HMM=False) if _keep_han(word)]
    terms: list[str] = []
    for word in tokenizer.cut(run, HMM=False):
        if _keep_han(word):
            terms.extend(_finest_cover(tokenizer.FREQ, word))
    return terms


def _keep_han(word: str) -> bool:
    return bool(word.strip()) and word not in CHINESE_STOPWORDS


def _finest_cover(frequencies: dict[str, int], word: str) -> list[str]:
    """The dictionary 2-grams (then 3-grams) of `word` that cut_for_search would also emit,
    when together they cover every character; else the word itself."""
    size = len(word)
    if size <= 2:
        return [word]
    covered = [False] * size
    grams: list[str] = []
    for gram_size in (2, 3):
        if size <= gram_size or all(covered):
            continue
        for start in range(size - gram_size + 1):
            gram = word[start : start + gram_size]
            if frequencies.get(gram) and not all(covered[start : start + gram_size]):
                grams.append(gram)
                covered[start : start + gram_size] = [True] * gram_size
    return list(dict.fromkeys(grams)) if grams and all(covered) else [word]


# --- Public API ------------------------------------------------------------------------------


def segment(text: str, *, for_query: bool = False) -> list[str]:
    """Index terms of `text`: all of them for a document, the ones a match needs for a query."""
    terms: list[str] = []
    source = text[:RAW_INPUT_MAX_CHARS] if for_query else text
    for kind, token in _tokens(source):
        if kind == "han":
            terms.extend(_han_terms(token, for_query=for_query))
        else:
            terms.extend(_latin_terms(token, for_query=for_query))
    return terms


def han_characters(text: str) -> list[str]:
    """Distinct Chinese characters of `text` (the one-character fallback column)."""
    folded = unicodedata.normalize("NFKC", text)
    return [c for c in dict.fromkeys(_HAN_CHAR_RE.findall(folded)) if c not in CHINESE_STOPWORDS]


def latin_vocabulary(text: str) -> dict[str, str]:
    """Latin index terms of `text` mapped to a surface word, for the correction vocabulary."""
    vocabulary: dict[str, str] = {}
    for kind, token in _tokens(text):
        if kind != "word":
            continue
        parts = [part for part in _JOINER_RE.split(_strip_accents(token)) if part]
        for part in parts:
            for piece in _PIECE_RE.findall(part):
                if piece not in ENGLISH_STOPWORDS and is_latin_term(stem(piece)):
                    vocabulary.setdefault(stem(piece), piece)
        joined = "".join(parts)
        if len(parts) > 1 and is_latin_term(joined):
            vocabulary.setdefault(joined, joined)
    return vocabulary


def keywords(text: str, *, limit: int = 12) -> list[str]:
    """Words of a title worth completing to: Chinese words of two or more characters and
    Latin words of three or more letters, in order of appearance."""
    found: list[str] = []
    for kind, token in _tokens(text):
        if kind == "han":
            words = _jieba.tokenizer().cut(token, HMM=False)
            found.extend(word for word in words if len(word) >= 2 and _keep_han(word))
        elif (
            len(token) >= 3
            and any(char.isalpha() for char in token)
            and token not in ENGLISH_STOPWORDS
        ):
            found.append(token)
    return list(dict.fromkeys(found))[:limit]


@dataclass(frozen=True)
class QueryWord:
    """One word of a query as typed (normalised) and the index terms it must match."""

    text: str
    terms: tuple[str, ...]
    correctable: bool  # a Latin word long enough for typo correction


@dataclass(frozen=True)
class AnalysedQuery:
    text: str  # normalised, "" when nothing searchable was typed
    words: tuple[QueryWord, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        unique = dict.fromkeys(term for word in self.words for term in word.terms)
        return tuple(unique)[:QUERY_MAX_TERMS]

    def replace(self, replacements: dict[int, QueryWord]) -> AnalysedQuery:
        words = tuple(replacements.get(index, word) for index, word in enumerate(self.words))
        return AnalysedQuery(text=" ".join(word.text for word in words), words=words)


def analyse_query(raw: str) -> AnalysedQuery:
    text = normalise(raw)
    words: list[QueryWord] = []
    for kind, token in _tokens(text):
        if kind == "han":
            terms = _han_terms(token, for_query=True)
            words.append(QueryWord(text=token, terms=tuple(terms), correctable=False))
        else:
            terms = _latin_terms(token, for_query=True)
            words.append(QueryWord(text=token, terms=tuple(terms), correctable=_correctable(token)))
    return AnalysedQuery(text=text, words=tuple(words))


def query_word(text: str) -> QueryWord:
    """A replacement word (a typo correction) analysed like any query word."""
    return QueryWord(text=text, terms=tuple(_latin_terms(text, for_query=True)), correctable=False)
