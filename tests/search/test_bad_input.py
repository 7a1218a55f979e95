"""Hostile search strings never reach a backend as syntax: plain tokens or nothing, never a 500.

The same list runs on whichever backend the test database uses (SQLite FTS5 under
`make test`, PostgreSQL in CI).
"""

from __future__ import annotations

import pytest

from circlemart.search import selectors, services
from circlemart.search.backends import get_backend
from circlemart.search.backends.base import BackendQuery, PartialMatch, TextMatch
from circlemart.search.contracts import SearchFilters, SearchSort
from circlemart.search.models import SearchQuery
from tests.search.conftest import CatalogBuilder

pytestmark = pytest.mark.django_db

HOSTILE = [
    '"',
    '""',
    '"unterminated',
    "*",
    "耳机*",
    "head*",
    "(",
    ")",
    "((耳机)",
    ":",
    "title_terms:耳机",
    "search_product_fts:x",
    "^",
    "^耳机",
    "-",
    "-耳机",
    "--",
    "耳机 -- comment",
    "NEAR",
    "NEAR(耳机 蓝牙, 2)",
    "耳机 NEAR/3 蓝牙",
    "AND",
    "OR",
    "NOT",
    "耳机 AND OR NOT 蓝牙",
    "'",
    "' OR '1'='1",
    "'; DROP TABLE search_productdocument; --",
    "; SELECT 1;",
    "%",
    "%%",
    "_",
    "100%",
    "\\",
    "\\x00",
    "{耳机}",
    "[耳机]",
    "@@ to_tsquery('x')",
    "!耳机 & 蓝牙 | x <-> y",
    "a:* & b:A",
    "😀",
    "🎧耳机🎧",
    "👨‍👩‍👧‍👦",
    "\x00",
    "\x00耳机\x07",
    "\u202e耳机",
    "\ufeff",
    "\u200b\u200d",
    "\n\t\r",
    "   ",
    "",
    "　",  # ideographic space
    "ＳＯＮＹ＂＊",
    "\U00031350\U0002a6d6",  # CJK extension ideographs outside jieba's range
    "ｷﾀﾞｲ",
    "é" * 50,
    "ß",
    "İstanbul",
    "Ⅻ ① ²",
    "耳" * 5000,
    "x" * 10_000,
    "耳机 " * 2000,
    ("(\"*^:-'%; " * 1100)[:10_000],
    "a b c d e f g h i j k l m n o p q r s t u v w x y z " * 20,
]


@pytest.fixture
def indexed(builder: CatalogBuilder) -> CatalogBuilder:
    builder.category("audio", "耳机")
    builder.product(
        "sony", "索尼 蓝牙耳机 WH-1000XM4", category="audio", title_en="Sony Headphones"
    )
    from tests.search.conftest import relay

    relay()
    return builder


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_product_search_never_fails(indexed: CatalogBuilder, query: str):
    for sort in ("", "sales", "price_asc"):
        result = selectors.product_search(
            query=query, filters=SearchFilters(), sort=sort, cursor=None, limit=20, viewer_id=None
        )
        assert result.total == len(result.product_ids)
        assert len(result.query) <= 100
        assert result.product_ids in ([], [indexed.id("sony")])


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_backend_takes_raw_terms_without_failing(indexed: CatalogBuilder, query: str):
    """Even handed unsanitised text, the backends treat it as data."""
    backend = get_backend()
    raw_terms = tuple(query.split()[:16]) or (query,)
    for match in (TextMatch(raw_terms), PartialMatch(query[:100])):
        rows = backend.page(
            BackendQuery(match=match, sort=SearchSort.RELEVANCE), after=None, limit=5
        )
        assert [row.product_id for row in rows] in ([], [indexed.id("sony")])


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_suggest_and_record_never_fail(indexed: CatalogBuilder, query: str):
    assert isinstance(selectors.suggest(query), list)
    before = SearchQuery.objects.count()
    stored = services.search_record(query=query, user_id=None, result_count=1)
    assert len(stored) <= 100
    assert SearchQuery.objects.count() == before + (1 if stored else 0)


def test_hostile_queries_still_find_the_words_they_contain(indexed: CatalogBuilder):
    for query in ('"蓝牙耳机"', "耳机*", "(sony)", "-耳机", "耳机 AND 蓝牙", "🎧耳机🎧"):
        result = selectors.product_search(
            query=query, filters=SearchFilters(), sort="", cursor=None, limit=20, viewer_id=None
        )
        assert result.product_ids == [indexed.id("sony")], query
