"""product_search: matching, typo correction, filters, facets, sorting, cursors, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.core.pagination import encode_cursor
from circlemart.search import selectors
from circlemart.search.contracts import (
    BrandFacet,
    CategoryFacet,
    PriceBucket,
    SearchFilters,
    SearchResult,
    SearchSort,
    TagFacet,
)
from tests.search.conftest import CatalogBuilder, relay

pytestmark = pytest.mark.django_db


def search(
    query: str = "",
    *,
    sort: str = "",
    cursor: str | None = None,
    limit: int | None = 20,
    **filters: object,
) -> SearchResult:
    return selectors.product_search(
        query=query,
        filters=SearchFilters(**filters),  # type: ignore[arg-type]
        sort=sort,
        cursor=cursor,
        limit=limit,
        viewer_id=None,
    )


def keys(shop: CatalogBuilder, result: SearchResult) -> list[str]:
    names = {product_id: key for key, product_id in shop.products.items()}
    return [names[product_id] for product_id in result.product_ids]


class TestMatching:
    def test_chinese_query_finds_titles_containing_its_words(self, shop: CatalogBuilder):
        result = search("蓝牙耳机")
        assert sorted(keys(shop, result)) == ["airpods", "sony"]
        assert result.total == 2
        assert result.query == "蓝牙耳机"
        assert result.corrected_query is None
        assert result.partial_match is False
        assert result.sort is SearchSort.RELEVANCE

    def test_english_stems_match_across_plural(self, shop: CatalogBuilder):
        singular = search("headphone")
        # Titles with the word, plus everything in the 耳机 category (English name Headphones).
        assert sorted(keys(shop, singular)) == ["airpods", "buds", "sony", "stand"]
        assert search("HEADPHONES").product_ids == singular.product_ids

    def test_brand_and_category_names_match(self, shop: CatalogBuilder):
        assert sorted(keys(shop, search("Apple"))) == ["airpods", "iphone"]
        assert sorted(keys(shop, search("女装"))) == ["floral", "retro"]

    def test_every_word_must_match(self, shop: CatalogBuilder):
        assert keys(shop, search("小米 手机")) == ["mi14"]
        assert keys(shop, search("sony 降噪")) == ["sony"]

    def test_tags_options_and_subtitles_are_searchable(self, shop: CatalogBuilder):
        assert keys(shop, search("银色")) == ["sony"]
        assert sorted(keys(shop, search("热卖"))) == ["airpods", "buds"]
        assert keys(shop, search("敏感肌")) == ["cleanser"]

    def test_one_character_finds_longer_words(self, shop: CatalogBuilder):
        assert sorted(keys(shop, search("裙"))) == ["floral", "retro"]

    def test_model_number_in_any_spelling(self, shop: CatalogBuilder):
        for query in ("WH-1000XM4", "wh1000xm4", "1000xm4"):
            assert keys(shop, search(query)) == ["sony"], query

    def test_draft_and_off_shelf_products_are_never_returned(self, shop: CatalogBuilder):
        assert "shelved" not in keys(shop, search("蓝牙耳机"))
        assert "draft" not in keys(shop, search("索尼"))
        assert "draft" not in keys(shop, search("草稿"))
        assert search("草稿").total == 0
        assert search().total == 9


class TestTypoCorrection:
    def test_misspelt_word_is_replaced_by_the_closest_indexed_word(self, shop: CatalogBuilder):
        result = search("wirelss")
        assert result.corrected_query == "wireless"
        assert keys(shop, result) == ["sony"]

    def test_corrected_query_matches_the_right_spelling(self, shop: CatalogBuilder):
        result = search("headphnes")
        assert result.corrected_query == "headphones"
        assert result.product_ids == search("headphones").product_ids

    def test_transposed_letters_count_as_one_edit(self, shop: CatalogBuilder):
        assert search("snoy").corrected_query == "sony"

    def test_only_the_unknown_word_changes(self, shop: CatalogBuilder):
        result = search("sony wireles 降噪")
        assert result.corrected_query == "sony wireless 降噪"
        assert keys(shop, result) == ["sony"]

    def test_known_words_are_left_alone(self, shop: CatalogBuilder):
        assert search("sony").corrected_query is None

    def test_nothing_close_enough_means_no_correction(self, shop: CatalogBuilder):
        result = search("xqzvbn")
        assert result.corrected_query is None
        assert result.product_ids == []
        assert result.total == 0

    def test_words_of_off_sale_products_are_not_suggested(self, shop: CatalogBuilder):
        # "草稿" exists only in a draft; a Latin word only in a draft is no correction target.
        result = search("drafft")
        assert result.corrected_query is None


class TestPartialMatch:
    def test_title_substring_when_no_word_matches(self, shop: CatalogBuilder):
        result = search("1000x")
        assert result.partial_match is True
        assert keys(shop, result) == ["sony"]
        assert result.total == 1

    def test_no_partial_match_for_short_queries(self, shop: CatalogBuilder):
        result = search("zz")
        assert result.partial_match is False
        assert result.total == 0


class TestFilters:
    def test_category_covers_its_whole_subtree(self, shop: CatalogBuilder):
        digital = search(category_id=shop.categories["digital"])
        assert sorted(keys(shop, digital)) == ["airpods", "buds", "iphone", "mi14", "sony", "stand"]
        apparel = search(category_id=shop.categories["apparel"])
        assert sorted(keys(shop, apparel)) == ["floral", "retro"]
        assert keys(shop, search(category_id=shop.categories["phones"], sort="price_asc")) == [
            "mi14",
            "iphone",
        ]

    def test_category_with_query(self, shop: CatalogBuilder):
        assert keys(shop, search("苹果", category_id=shop.categories["phones"])) == ["iphone"]

    def test_brands_are_any_of(self, shop: CatalogBuilder):
        result = search(brand_ids=(shop.brands["sony"], shop.brands["uniqlo"]), sort="price_asc")
        assert keys(shop, result) == ["floral", "sony"]

    def test_price_range_is_inclusive_on_the_lowest_price(self, shop: CatalogBuilder):
        result = search(price_min=9900, price_max=29900, sort="price_asc")
        assert keys(shop, result) == ["buds", "floral", "retro"]

    def test_in_stock_only(self, shop: CatalogBuilder):
        assert "airpods" not in keys(shop, search(in_stock=True))
        assert search(in_stock=True).total == 8

    def test_tags_are_all_of(self, shop: CatalogBuilder):
        assert sorted(keys(shop, search(tags=("新品",)))) == ["floral", "iphone", "sony"]
        assert keys(shop, search(tags=("新品", "降噪"))) == ["sony"]
        assert search(tags=("不存在",)).total == 0

    def test_unknown_category_is_not_found(self, shop: CatalogBuilder):
        with pytest.raises(NotFound) as caught:
            search(category_id=999_999)
        assert caught.value.field == "category"


class TestFacets:
    def test_browsing_counts_top_level_categories_brands_prices_stock_and_tags(
        self, shop: CatalogBuilder
    ):
        facets = search().facets
        assert facets is not None
        c, b = shop.categories, shop.brands
        assert facets.categories == [
            CategoryFacet(c["digital"], "数码", "Electronics", _slug(shop, "digital"), 6),
            CategoryFacet(c["apparel"], "服饰", "Apparel", _slug(shop, "apparel"), 2),
            CategoryFacet(c["beauty"], "美妆", "Beauty", _slug(shop, "beauty"), 1),
        ]
        assert [(brand.id, brand.count) for brand in facets.brands] == [
            (b["apple"], 2),
            (b["xiaomi"], 2),
            (b["sony"], 1),
            (b["uniqlo"], 1),
        ]
        assert facets.brands[0] == BrandFacet(
            b["apple"], "苹果", "Apple", _brand_slug(b, "apple"), 2
        )
        assert facets.price_buckets == [
            PriceBucket(0, 5000, 1),
            PriceBucket(5000, 10000, 2),
            PriceBucket(10000, 20000, 1),
            PriceBucket(20000, 50000, 1),
            PriceBucket(50000, 100000, 0),
            PriceBucket(100000, 200000, 2),
            PriceBucket(200000, 500000, 1),
            PriceBucket(500000, None, 1),
        ]
        assert facets.in_stock_count == 8
        assert facets.tags == [TagFacet("新品", 3), TagFacet("热卖", 2), TagFacet("降噪", 1)]

    def test_filtered_category_shows_its_children(self, shop: CatalogBuilder):
        facets = search(category_id=shop.categories["digital"]).facets
        assert facets is not None
        # The stand sits in 数码 itself: it counts in the total, in no child.
        assert [(facet.name, facet.count) for facet in facets.categories] == [
            ("耳机", 3),
            ("手机", 2),
        ]

    def test_each_facet_ignores_its_own_filter(self, shop: CatalogBuilder):
        result = search(brand_ids=(shop.brands["apple"],), in_stock=True, price_max=10000)
        assert result.total == 0
        facets = result.facets
        assert facets is not None
        # Brands: in stock and ≤ ¥100 whatever the brand → Xiaomi buds, cleanser (no brand), stand.
        assert [(brand.name, brand.count) for brand in facets.brands] == [("小米", 1)]
        # In stock: Apple and ≤ ¥100 whatever the stock → none.
        assert facets.in_stock_count == 0
        # Prices: Apple, in stock, any price → iPhone only.
        assert [bucket.count for bucket in facets.price_buckets] == [0, 0, 0, 0, 0, 0, 0, 1]

    def test_facets_follow_the_query(self, shop: CatalogBuilder):
        facets = search("耳机").facets
        assert facets is not None
        assert [(facet.name, facet.count) for facet in facets.categories] == [("数码", 4)]
        assert [(brand.name, brand.count) for brand in facets.brands] == [
            ("索尼", 1),
            ("苹果", 1),
            ("小米", 1),
        ]
        assert facets.in_stock_count == 3

    def test_facets_can_be_skipped(self, shop: CatalogBuilder):
        result = selectors.product_search(
            query="耳机",
            filters=SearchFilters(),
            sort="",
            cursor=None,
            limit=20,
            viewer_id=None,
            with_facets=False,
        )
        assert result.facets is None
        assert result.total == 4


def _slug(shop: CatalogBuilder, key: str) -> str:
    from circlemart.catalog import selectors as catalog

    node = catalog.category_by_id(shop.categories[key])
    assert node is not None
    return node.slug


def _brand_slug(brands: dict[str, int], key: str) -> str:
    from circlemart.catalog import selectors as catalog

    return catalog.brands([brands[key]])[0].slug


class TestSorting:
    @pytest.fixture
    def ranked(self, shop: CatalogBuilder) -> CatalogBuilder:
        start = datetime(2030, 1, 1, tzinfo=UTC)
        stats = {
            "sony": (50, (10, 48)),
            "airpods": (900, (4, 16)),
            "buds": (300, (2, 10)),
            "mi14": (300, (1, 3)),
            "iphone": (700, (5, 25)),
            "floral": (20, (1, 4)),
            "retro": (5, (0, 0)),
            "cleanser": (120, (3, 12)),
            "stand": (0, (0, 0)),
        }
        for position, (key, (sales, ratings)) in enumerate(stats.items()):
            shop.stats(
                key, sales=sales, ratings=ratings, published_at=start + timedelta(days=position)
            )
        return shop

    def test_sales_is_the_default_without_a_query(self, ranked: CatalogBuilder):
        result = search()
        assert result.sort is SearchSort.SALES
        ties = sorted([ranked.id("buds"), ranked.id("mi14")], reverse=True)
        names = {product_id: key for key, product_id in ranked.products.items()}
        assert keys(ranked, result) == [
            "airpods",
            "iphone",
            names[ties[0]],
            names[ties[1]],
            "cleanser",
            "sony",
            "floral",
            "retro",
            "stand",
        ]
        assert search(sort="relevance").sort is SearchSort.SALES

    def test_price_both_ways(self, ranked: CatalogBuilder):
        ascending = keys(ranked, search(sort="price_asc"))
        assert ascending == [
            "stand",
            "cleanser",
            "buds",
            "floral",
            "retro",
            "airpods",
            "sony",
            "mi14",
            "iphone",
        ]
        assert keys(ranked, search(sort="price_desc")) == ascending[::-1]

    def test_newest(self, ranked: CatalogBuilder):
        assert keys(ranked, search(sort="newest"))[:3] == ["stand", "cleanser", "retro"]

    def test_rating_then_sales(self, ranked: CatalogBuilder):
        # 4.8 sony, 5.0 iphone, 5.0 buds, 4.0 airpods/cleanser/floral, 3.0 mi14, 0 retro/stand
        assert keys(ranked, search(sort="rating"))[:6] == [
            "iphone",
            "buds",
            "sony",
            "airpods",
            "cleanser",
            "floral",
        ]

    def test_relevance_puts_title_matches_before_subtitle_matches(self, builder: CatalogBuilder):
        builder.category("tea", "茶叶")
        for index in range(6):
            builder.product(f"filler{index}", f"普洱茶饼 {index}", category="tea")
        builder.product("subtitle", "明前龙井 二两装", category="tea", subtitle="送礼佳品 绿茶")
        builder.product("title", "绿茶 明前龙井", category="tea", subtitle="二两装")
        relay()
        builder.stats("subtitle", sales=1000)
        result = search("绿茶")
        assert keys(builder, result) == ["title", "subtitle"]
        assert result.sort is SearchSort.RELEVANCE

    def test_query_with_explicit_sort(self, ranked: CatalogBuilder):
        assert keys(ranked, search("耳机", sort="sales")) == ["airpods", "buds", "sony", "stand"]


class TestCursor:
    @pytest.mark.parametrize(
        "sort", ["sales", "price_asc", "price_desc", "newest", "rating", "relevance"]
    )
    def test_walking_every_page_returns_each_product_once(self, shop: CatalogBuilder, sort: str):
        for query in ("", "耳机"):
            expected = search(query, sort=sort).product_ids
            walked: list[int] = []
            cursor = None
            pages = 0
            while True:
                page = search(query, sort=sort, cursor=cursor, limit=2)
                walked.extend(page.product_ids)
                pages += 1
                assert page.total == len(expected)
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert walked == expected
            assert pages == (len(expected) + 1) // 2

    def test_last_page_has_no_cursor(self, shop: CatalogBuilder):
        assert search(limit=9).next_cursor is None
        assert search(limit=8).next_cursor is not None

    def test_partial_match_pages_stay_partial(self, builder: CatalogBuilder):
        builder.category("misc", "杂货")
        for index in range(3):
            builder.product(f"cable{index}", f"USB-C3{index} cable", category="misc")
        relay()
        first = search("b-c3", limit=2)
        assert first.partial_match is True
        assert first.total == 3
        second = search("b-c3", limit=2, cursor=first.next_cursor)
        assert second.partial_match is True
        assert len({*first.product_ids, *second.product_ids}) == 3

    @pytest.mark.parametrize(
        "cursor",
        [
            "not-a-cursor",
            "eyJmb28iOiJiYXIifQ",
            encode_cursor(["sales", "0" * 16, "b", 1, 1])[:-2] + "xx",
            "A" * 5000,
        ],
    )
    def test_forged_cursor_is_refused(self, shop: CatalogBuilder, cursor: str):
        with pytest.raises(ValidationFailed) as caught:
            search(cursor=cursor)
        assert caught.value.field == "cursor"

    def test_cursor_of_another_search_is_refused(self, shop: CatalogBuilder):
        cursor = search(limit=2).next_cursor
        for other in (
            {"query": "耳机"},
            {"sort": "price_asc"},
            {"in_stock": True},
            {"brand_ids": (shop.brands["apple"],)},
        ):
            with pytest.raises(ValidationFailed) as caught:
                search(cursor=cursor, limit=2, **other)  # type: ignore[arg-type]
            assert caught.value.field == "cursor"

    def test_signed_cursor_with_wrong_value_types_is_refused(self, shop: CatalogBuilder):
        good = search(limit=2)
        assert good.next_cursor is not None
        from circlemart.core.pagination import decode_cursor

        values = decode_cursor(good.next_cursor, width=5)
        for bad in ("7", True, None, 1.5):
            forged = encode_cursor([*values[:3], bad, values[4]])
            with pytest.raises(ValidationFailed) as caught:
                search(cursor=forged, limit=2)
            assert caught.value.field == "cursor"


class TestValidation:
    @pytest.mark.parametrize(
        ("arguments", "field"),
        [
            ({"sort": "cheapest"}, "sort"),
            ({"sort": "price_asc; DROP TABLE x"}, "sort"),
            ({"price_min": -1}, "price_min"),
            ({"price_max": -100}, "price_max"),
            ({"price_min": 500, "price_max": 100}, "price_max"),
            ({"limit": 101}, "limit"),
            ({"limit": 0}, "limit"),
            ({"brand_ids": (0,)}, "brand_ids"),
            ({"brand_ids": tuple(range(1, 60))}, "brand_ids"),
            ({"tags": tuple(f"t{i}" for i in range(11))}, "tags"),
            ({"tags": ("x" * 41,)}, "tags"),
            ({"category_id": -3}, "category"),
        ],
    )
    def test_bad_arguments_name_their_field(
        self, shop: CatalogBuilder, arguments: dict, field: str
    ):
        with pytest.raises(ValidationFailed) as caught:
            search(**arguments)
        assert caught.value.field == field

    def test_limit_defaults_to_the_api_page_size(self, shop: CatalogBuilder, settings: object):
        result = search(limit=None)
        assert len(result.product_ids) == 9
