"""Completions, hot searches, the search log and per-user history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from circlemart.catalog import services as catalog
from circlemart.catalog.models import Product
from circlemart.core import clock
from circlemart.search import selectors, services
from circlemart.search.contracts import HotSearch, SuggestionView
from circlemart.search.models import SearchHistory, SearchQuery, Suggestion
from tests.accounts.factories import UserFactory
from tests.search.conftest import CatalogBuilder, relay

pytestmark = pytest.mark.django_db


def record(query: str, *, user: Any = None, results: int = 1, times: int = 1) -> None:
    for _ in range(times):
        services.search_record(query=query, user_id=user.pk if user else None, result_count=results)


class TestSuggest:
    def test_chinese_prefix_completes_to_title_words(self, shop: CatalogBuilder):
        assert selectors.suggest("蓝") == [
            SuggestionView("蓝牙", "keyword"),
            SuggestionView("蓝牙耳机", "keyword"),
        ]

    def test_latin_prefix_is_case_insensitive(self, shop: CatalogBuilder):
        expected = [
            SuggestionView("Sony", "brand"),
            SuggestionView("Sony WH-1000XM4 Wireless Noise Cancelling Headphones", "product"),
        ]
        assert selectors.suggest("SON") == expected
        assert selectors.suggest("son") == expected
        assert selectors.suggest("ｓｏｎ") == expected

    def test_brands_categories_and_titles_by_weight(self, shop: CatalogBuilder):
        assert selectors.suggest("小米") == [
            SuggestionView("小米", "brand"),
            SuggestionView("小米 14 手机", "product"),
            SuggestionView("小米 Redmi Buds 真无线耳机", "product"),
        ]
        assert selectors.suggest("连衣") == [SuggestionView("连衣裙", "category")]

    def test_limit(self, shop: CatalogBuilder):
        assert len(selectors.suggest("小", limit=2)) == 2
        assert len(selectors.suggest("小", limit=500)) <= 20

    def test_popular_searches_join_after_enough_searches_with_results(
        self, shop: CatalogBuilder, settings: Any
    ):
        settings.SEARCH_SUGGEST_MIN_SEARCHES = 3
        record("降噪耳机推荐", times=2)
        record("降噪耳机便宜", results=0, times=5)
        assert SuggestionView("降噪耳机推荐", "query") not in selectors.suggest("降噪")
        record("降噪耳机推荐")
        suggestions = selectors.suggest("降噪")
        assert suggestions[0] == SuggestionView("降噪耳机推荐", "query")
        assert SuggestionView("降噪耳机便宜", "query") not in suggestions

    def test_numbers_that_look_private_never_become_suggestions(self, shop: CatalogBuilder):
        record("138 0013 8000", times=5)
        assert not Suggestion.objects.filter(kind="query").exists()

    def test_hidden_suggestions_are_not_offered(self, shop: CatalogBuilder):
        Suggestion.objects.filter(key="蓝牙").update(is_hidden=True)
        assert selectors.suggest("蓝") == [SuggestionView("蓝牙耳机", "keyword")]

    def test_products_leaving_the_shelf_take_their_suggestions(self, shop: CatalogBuilder):
        catalog.product_set_status(product_id=shop.id("mi14"), status=Product.Status.OFF_SHELF)
        relay()
        assert SuggestionView("小米 14 手机", "product") not in selectors.suggest("小米")
        assert Suggestion.objects.get(kind="brand", key="小米").product_count == 1

    def test_empty_prefix(self, shop: CatalogBuilder):
        assert selectors.suggest("") == []
        assert selectors.suggest(" * ") == []


class TestHotSearches:
    def test_by_number_of_searchers_in_the_window(self):
        alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
        for user in (alice, bob, carol):
            record("蓝牙耳机", user=user)
        record("连衣裙", user=alice, times=10)  # one person repeating counts once
        record("连衣裙", user=bob)
        record("洗面奶")  # anonymous: each search is its own searcher
        record("洗面奶")
        record("手机壳", user=alice)  # one searcher only: not hot yet
        assert selectors.hot_searches() == [
            HotSearch("蓝牙耳机", 3),
            HotSearch("洗面奶", 2),
            HotSearch("连衣裙", 2),
        ]
        assert selectors.hot_searches(limit=1) == [HotSearch("蓝牙耳机", 3)]

    def test_zero_result_searches_never_become_hot(self):
        record("不存在的东西", results=0, times=20)
        record("也许有", results=0, times=5)
        record("也许有", results=3)
        record("也许有", results=3)
        assert selectors.hot_searches() == [HotSearch("也许有", 2)]
        assert selectors.zero_result_searches() == [
            HotSearch("不存在的东西", 20),
            HotSearch("也许有", 5),
        ]

    def test_old_searches_fall_out_of_the_window(self):
        record("圣诞礼物", times=3)
        SearchQuery.objects.update(created_at=clock.now() - timedelta(days=8))
        record("新年礼物", times=2)
        assert selectors.hot_searches(days=7) == [HotSearch("新年礼物", 2)]
        assert selectors.hot_searches(days=30) == [
            HotSearch("圣诞礼物", 3),
            HotSearch("新年礼物", 2),
        ]

    def test_hidden_and_number_like_queries_are_left_out(self):
        record("不雅词", times=3)
        record("13800138000", times=3)
        Suggestion.objects.filter(key="不雅词").update(is_hidden=True)
        assert selectors.hot_searches() == []

    def test_searches_are_stored_normalised(self):
        record("  Sony   WH-1000XM4 😀 ", times=2)
        assert selectors.hot_searches() == [HotSearch("sony wh-1000xm4", 2)]

    def test_old_log_rows_are_purged(self):
        record("旧", times=2)
        SearchQuery.objects.update(created_at=clock.now() - timedelta(days=100))
        record("新")
        assert services.search_log_purge(days=90) == 2
        assert list(SearchQuery.objects.values_list("query", flat=True)) == ["新"]


class TestHistory:
    def test_newest_first_distinct(self):
        user = UserFactory()
        for query in ("耳机", "连衣裙", "耳机", "洗面奶"):
            record(query, user=user)
        assert [entry.query for entry in selectors.search_history(user.pk)] == [
            "洗面奶",
            "耳机",
            "连衣裙",
        ]

    def test_keeps_the_last_twenty(self):
        user = UserFactory()
        for index in range(25):
            record(f"query {index}", user=user)
        history = selectors.search_history(user.pk)
        assert [entry.query for entry in history] == [f"query {i}" for i in range(24, 4, -1)]
        assert SearchHistory.objects.filter(user=user).count() == 20

    def test_is_private_to_its_user(self):
        alice, bob = UserFactory(), UserFactory()
        record("alice 的搜索", user=alice)
        assert selectors.search_history(bob.pk) == []

    def test_anonymous_searches_have_no_history(self):
        record("匿名")
        assert SearchHistory.objects.count() == 0
        assert SearchQuery.objects.get().user_id is None

    def test_zero_result_searches_are_still_remembered_for_the_user(self):
        user = UserFactory()
        record("没有结果", user=user, results=0)
        assert [entry.query for entry in selectors.search_history(user.pk)] == ["没有结果"]

    def test_clear_and_remove_one(self):
        alice, bob = UserFactory(), UserFactory()
        for query in ("a1", "a2", "a3"):
            record(query, user=alice)
        record("b1", user=bob)
        assert services.history_remove(user_id=alice.pk, query="A2") == 1
        assert [entry.query for entry in selectors.search_history(alice.pk)] == ["a3", "a1"]
        assert services.history_clear(alice.pk) == 2
        assert selectors.search_history(alice.pk) == []
        assert [entry.query for entry in selectors.search_history(bob.pk)] == ["b1"]

    def test_empty_search_is_not_recorded(self):
        user = UserFactory()
        assert services.search_record(query=" ** ", user_id=user.pk, result_count=3) == ""
        assert SearchQuery.objects.count() == 0
        assert SearchHistory.objects.count() == 0
