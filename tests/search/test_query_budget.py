"""Query budgets for a search page of 20 results: a fixed number of queries, whatever the page
size (no N+1), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from circlemart.catalog import selectors as catalog
from circlemart.search import selectors
from circlemart.search.contracts import SearchFilters, SearchResult
from tests.search.conftest import CatalogBuilder, relay

pytestmark = pytest.mark.django_db

# Category tree (cache generation check) 1 + page 1 + summary 1 + category facet 1 +
# brand facet 1 + brand names 1 + tag facet 1.
# The category tree's cache-generation lookup is a database query unless Redis holds it.
SEARCH_QUERIES = 6 if settings.REDIS_URL else 7
LATIN_VOCABULARY_LOOKUP = 1
PRODUCT_CARDS = 1


@pytest.fixture
def many(builder: CatalogBuilder) -> CatalogBuilder:
    builder.category("digital", "数码")
    builder.category("audio", "耳机", parent="digital")
    for key in ("sony", "apple", "xiaomi"):
        builder.brand(key, {"sony": "索尼", "apple": "苹果", "xiaomi": "小米"}[key], name_en=key)
    for index in range(30):
        builder.product(
            f"p{index}",
            f"{['索尼', '苹果', '小米'][index % 3]} 蓝牙耳机 Wireless Headphones {index}",
            category="audio",
            brand=["sony", "apple", "xiaomi"][index % 3],
            price=10000 + index * 1000,
            tags=["新品"] if index % 2 else ["热卖", "降噪"],
            options=[{"颜色": "黑色"}, {"颜色": "白色"}],
        )
    relay()
    catalog.category_tree()  # warm the catalog's cached tree, as any earlier page would
    return builder


def run(query: str, **filters: Any) -> SearchResult:
    return selectors.product_search(
        query=query,
        filters=SearchFilters(**filters),
        sort="",
        cursor=None,
        limit=20,
        viewer_id=7,
    )


def test_chinese_query_with_filters(
    many: CatalogBuilder, warm_segmenter: None, django_assert_num_queries: Any
):
    filters = {
        "category_id": many.categories["digital"],
        "price_min": 10000,
        "in_stock": True,
        "brand_ids": (many.brands["sony"], many.brands["apple"], many.brands["xiaomi"]),
    }
    with django_assert_num_queries(SEARCH_QUERIES):
        result = run("蓝牙耳机", **filters)
    assert len(result.product_ids) == 20
    assert result.total == 30
    with django_assert_num_queries(SEARCH_QUERIES + PRODUCT_CARDS):
        cards = catalog.product_cards(run("蓝牙耳机", **filters).product_ids)
    assert len(cards) == 20


def test_latin_query_adds_one_vocabulary_lookup(
    many: CatalogBuilder, warm_segmenter: None, django_assert_num_queries: Any
):
    with django_assert_num_queries(SEARCH_QUERIES + LATIN_VOCABULARY_LOOKUP):
        result = run("wireless headphones", tags=("新品",))
    assert len(result.product_ids) == 15


def test_next_page_costs_the_same(
    many: CatalogBuilder, warm_segmenter: None, django_assert_num_queries: Any
):
    first = run("蓝牙耳机")
    with django_assert_num_queries(SEARCH_QUERIES):
        second = selectors.product_search(
            query="蓝牙耳机",
            filters=SearchFilters(),
            sort="",
            cursor=first.next_cursor,
            limit=20,
            viewer_id=None,
        )
    assert len(second.product_ids) == 10


def test_category_browsing(
    many: CatalogBuilder, warm_segmenter: None, django_assert_num_queries: Any
):
    with django_assert_num_queries(SEARCH_QUERIES):
        result = run("", category_id=many.categories["audio"])
    assert len(result.product_ids) == 20
    # Without facets (an infinite-scroll page): tree (generation), page and total only.
    with django_assert_num_queries(SEARCH_QUERIES - 4):
        selectors.product_search(
            query="",
            filters=SearchFilters(category_id=many.categories["audio"]),
            sort="price_asc",
            cursor=None,
            limit=20,
            viewer_id=None,
            with_facets=False,
        )


def test_typo_correction_costs_one_more_lookup_per_corrected_word(
    many: CatalogBuilder, warm_segmenter: None, django_assert_num_queries: Any
):
    with django_assert_num_queries(SEARCH_QUERIES + LATIN_VOCABULARY_LOOKUP + 1):
        result = run("wireles")
    assert result.corrected_query == "wireless"


def test_suggest_is_one_query(many: CatalogBuilder, django_assert_num_queries: Any):
    with django_assert_num_queries(1):
        assert selectors.suggest("蓝")
