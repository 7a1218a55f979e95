"""The index follows the catalog and inventory through outbox events."""

from __future__ import annotations

from typing import Any

import pytest

from circlemart.catalog import services as catalog
from circlemart.catalog.models import Product, Sku
from circlemart.core.events import handlers_for
from circlemart.core.models import HandlerReceipt, OutboxEvent
from circlemart.inventory import services as inventory
from circlemart.search import segment, selectors, services
from circlemart.search.contracts import IndexChange, SearchFilters
from circlemart.search.models import DocumentTag, ProductDocument, Suggestion, Term
from tests.search.conftest import CatalogBuilder, relay

pytestmark = pytest.mark.django_db


def found(query: str = "", **filters: object) -> list[int]:
    return selectors.product_search(
        query=query,
        filters=SearchFilters(**filters),  # type: ignore[arg-type]
        sort="",
        cursor=None,
        limit=50,
        viewer_id=None,
    ).product_ids


def test_handlers_are_registered():
    names = {
        event: [name for name, _ in handlers_for(event) if name.startswith("circlemart.search")]
        for event in (
            "catalog.ProductChanged",
            "inventory.StockChanged",
            "catalog.CategoryTreeChanged",
        )
    }
    assert names == {
        "catalog.ProductChanged": ["circlemart.search.handlers.reindex_changed_product"],
        "inventory.StockChanged": ["circlemart.search.handlers.reindex_product_of_sku"],
        "catalog.CategoryTreeChanged": ["circlemart.search.handlers.reindex_category_subtree"],
    }


class TestProducts:
    def test_new_product_is_searchable_after_the_relay(self, builder: CatalogBuilder):
        builder.category("audio", "耳机")
        product_id = builder.product("new", "漫步者 蓝牙耳机 新款", category="audio")
        assert found("漫步者") == []
        assert relay() >= 1
        assert found("漫步者") == [product_id]
        document = ProductDocument.objects.get(product_id=product_id)
        assert document.price_min == 9900
        assert document.in_stock is True

    def test_edited_title_replaces_the_old_words(self, builder: CatalogBuilder):
        builder.category("audio", "耳机")
        product_id = builder.product("p", "旧标题 耳机 Walkman", category="audio")
        relay()
        catalog.product_update(product_id=product_id, title="新标题 耳机 Discman", tags=["限量"])
        assert found("walkman") == [product_id]
        relay()
        assert found("walkman") == []
        assert found("discman") == [product_id]
        assert found("新标题") == [product_id]
        assert found(tags=("限量",)) == [product_id]
        assert not Term.objects.filter(term="walkman", doc_frequency__gt=0).exists()
        assert Term.objects.get(term="discman").doc_frequency == 1

    def test_going_off_sale_leaves_the_results_and_coming_back_returns(
        self, builder: CatalogBuilder
    ):
        builder.category("audio", "耳机")
        product_id = builder.product("p", "索尼 耳机 Sony", category="audio", tags=["新品"])
        relay()
        catalog.product_set_status(product_id=product_id, status=Product.Status.OFF_SHELF)
        relay()
        assert found("索尼") == []
        assert found() == []
        assert not ProductDocument.objects.exists()
        assert not DocumentTag.objects.exists()
        assert Term.objects.get(term="soni").doc_frequency == 0
        assert Suggestion.objects.get(kind="product", key="索尼 耳机 sony").product_count == 0
        catalog.product_set_status(product_id=product_id, status=Product.Status.ON_SALE)
        relay()
        assert found("索尼") == [product_id]
        assert Term.objects.get(term="soni").doc_frequency == 1

    def test_draft_is_never_indexed(self, builder: CatalogBuilder):
        builder.category("audio", "耳机")
        builder.product("draft", "草稿 耳机", category="audio", status=Product.Status.DRAFT)
        relay()
        assert not ProductDocument.objects.exists()

    def test_new_price_moves_the_product_between_price_filters(self, builder: CatalogBuilder):
        builder.category("audio", "耳机")
        product_id = builder.product("p", "耳机", category="audio", price=10000)
        relay()
        sku = Sku.objects.get(product_id=product_id)
        catalog.sku_set_price(sku_id=sku.pk, price=5000)
        assert found(price_max=6000) == []
        relay()
        assert found(price_max=6000) == [product_id]


class TestStock:
    def test_stock_changes_flip_in_stock(self, builder: CatalogBuilder):
        builder.category("audio", "耳机")
        product_id = builder.product("p", "耳机", category="audio", stock=1)
        relay()
        sku = Sku.objects.get(product_id=product_id)
        inventory.stock_set(sku_id=sku.pk, on_hand=0)
        relay()
        assert found(in_stock=True) == []
        assert found() == [product_id]
        inventory.stock_adjust(sku_id=sku.pk, delta=3)
        relay()
        assert found(in_stock=True) == [product_id]

    def test_stock_change_that_changes_nothing_writes_nothing(self, builder: CatalogBuilder):
        builder.category("audio", "耳机")
        product_id = builder.product("p", "耳机", category="audio", stock=5)
        relay()
        before = ProductDocument.objects.get(product_id=product_id).indexed_at
        inventory.stock_set(sku_id=Sku.objects.get(product_id=product_id).pk, on_hand=7)
        relay()
        assert ProductDocument.objects.get(product_id=product_id).indexed_at == before

    def test_a_sale_updates_in_stock_and_sales_in_place_as_a_rebuild_would(
        self, builder: CatalogBuilder, django_assert_max_num_queries: Any
    ):
        """A stock change updates the two columns it can change; the document is then the one
        a full rebuild writes, and no text column is rewritten."""
        from circlemart.catalog.selectors import products_for_index
        from circlemart.catalog.services import product_sales_record
        from circlemart.search.documents import TEXT_FIELDS, VALUE_FIELDS, build_document

        builder.category("audio", "耳机")
        product_id = builder.product("p", "耳机", category="audio", stock=2)
        relay()
        sku_id = Sku.objects.get(product_id=product_id).pk
        product_sales_record(quantities={product_id: 2})  # two sold …
        inventory.stock_adjust(sku_id=sku_id, delta=-2)  # … and gone: sold out
        # The relay's own 11 (due events twice, claim, receipts, savepoints, marks) and the
        # refresh's 6: product of the SKU, lock the document, stock values, update, bump,
        # savepoint. Rebuilding the document took 22, and segmented its text again.
        with django_assert_max_num_queries(17):
            relay()
        document = ProductDocument.objects.get(product_id=product_id)
        assert (document.in_stock, document.sales_count) == (False, 2)
        assert found(in_stock=True) == []
        (rebuilt,) = [build_document(p) for p in products_for_index([product_id])]
        for name in (*TEXT_FIELDS, *VALUE_FIELDS):
            assert getattr(document, name) == getattr(rebuilt, name), name

    def test_stock_of_a_product_off_sale_removes_its_document(self, builder: CatalogBuilder):
        builder.category("audio", "耳机")
        product_id = builder.product("p", "耳机", category="audio", stock=2)
        relay()
        Product.objects.filter(pk=product_id).update(status=Product.Status.OFF_SHELF)  # no event
        inventory.stock_adjust(sku_id=Sku.objects.get(product_id=product_id).pk, delta=1)
        relay()
        assert not ProductDocument.objects.filter(product_id=product_id).exists()

    def test_stock_of_a_product_on_sale_without_a_document_indexes_it(
        self, builder: CatalogBuilder
    ):
        builder.category("audio", "耳机")
        product_id = builder.product("p", "耳机", category="audio", stock=2)
        relay()
        ProductDocument.objects.filter(product_id=product_id).delete()  # lost, somehow
        inventory.stock_adjust(sku_id=Sku.objects.get(product_id=product_id).pk, delta=1)
        relay()
        assert found("耳机") == [product_id]


class TestCategoryTree:
    def test_moving_a_category_moves_its_products_between_subtrees(self, builder: CatalogBuilder):
        builder.category("digital", "数码")
        builder.category("home", "家居")
        builder.category("lamps", "台灯", parent="digital")
        product_id = builder.product("lamp", "护眼台灯", category="lamps")
        relay()
        assert found(category_id=builder.categories["digital"]) == [product_id]
        catalog.category_move(
            category_id=builder.categories["lamps"], parent_id=builder.categories["home"]
        )
        relay()
        assert found(category_id=builder.categories["digital"]) == []
        assert found(category_id=builder.categories["home"]) == [product_id]
        assert found("家居") == [product_id]

    def test_new_category_names_become_dictionary_words(self, builder: CatalogBuilder):
        assert segment.segment("沁岚", for_query=True) == ["沁", "岚"]
        builder.category("new", "沁岚")
        relay()
        assert segment.segment("沁岚", for_query=True) == ["沁岚"]

    def test_large_subtrees_are_reindexed_by_background_tasks(
        self, builder: CatalogBuilder, settings: object, django_capture_on_commit_callbacks
    ):
        settings.SEARCH_INLINE_REINDEX_LIMIT = 1  # type: ignore[attr-defined]
        builder.category("digital", "数码")
        builder.category("home", "家居")
        builder.category("lamps", "台灯", parent="digital")
        first = builder.product("a", "护眼台灯", category="lamps")
        second = builder.product("b", "落地灯", category="lamps")
        relay()
        catalog.category_move(
            category_id=builder.categories["lamps"], parent_id=builder.categories["home"]
        )
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            relay()
        # one task for the batch (tasks run eagerly in tests); with Redis a cache bump too
        assert sum("index_products" in repr(callback) for callback in callbacks) == 1
        assert sorted(found(category_id=builder.categories["home"])) == [first, second]


class TestIdempotency:
    def test_redelivery_changes_nothing(self, builder: CatalogBuilder):
        builder.category("audio", "耳机")
        product_id = builder.product("p", "耳机 Sony", category="audio")
        relay()
        event = OutboxEvent.objects.get(event_type="catalog.ProductChanged")
        HandlerReceipt.objects.filter(event=event).delete()
        OutboxEvent.objects.filter(pk=event.pk).update(status=OutboxEvent.Status.PENDING)
        relay()
        assert found("sony") == [product_id]
        assert Term.objects.get(term="soni").doc_frequency == 1
        assert Suggestion.objects.get(kind="product", key="耳机 sony").product_count == 1

    def test_indexing_twice_reports_unchanged(self, builder: CatalogBuilder):
        builder.category("audio", "耳机")
        product_id = builder.product("p", "耳机", category="audio")
        relay()
        assert services.index_products([product_id]) == IndexChange(0, 1, 0)
        assert services.index_products([product_id, 987654]) == IndexChange(0, 1, 0)

    def test_remove_products_drops_them_whatever_the_catalog_says(self, builder: CatalogBuilder):
        builder.category("audio", "耳机")
        product_id = builder.product("p", "耳机 Sony", category="audio")
        relay()
        assert services.remove_products([product_id]) == 1
        assert found("耳机") == []
        assert Term.objects.get(term="soni").doc_frequency == 0
        assert services.remove_products([product_id]) == 0


class TestCacheGeneration:
    """Cached listings and completions depend on SEARCH_INDEX_GENERATION."""

    @staticmethod
    def generation() -> int:
        from circlemart.core.cache import generations
        from circlemart.search.contracts import SEARCH_INDEX_GENERATION

        return generations([SEARCH_INDEX_GENERATION])[SEARCH_INDEX_GENERATION]

    def test_bumped_when_the_index_changes_and_only_then(
        self, builder: CatalogBuilder, django_capture_on_commit_callbacks: Any
    ):
        builder.category("audio", "耳机")
        product_id = builder.product("p", "耳机", category="audio")
        start = self.generation()
        with django_capture_on_commit_callbacks(execute=True):  # Redis bumps after commit
            relay()
        after_create = self.generation()
        assert after_create > start
        with django_capture_on_commit_callbacks(execute=True):
            services.index_products([product_id])
        assert self.generation() == after_create
        with django_capture_on_commit_callbacks(execute=True):
            services.stock_values_refresh(product_id)  # nothing changed
        assert self.generation() == after_create
        Product.objects.filter(pk=product_id).update(sales_count=3)
        with django_capture_on_commit_callbacks(execute=True):
            services.stock_values_refresh(product_id)  # sort by sales would move it
        after_sale = self.generation()
        assert after_sale > after_create
        with django_capture_on_commit_callbacks(execute=True):
            services.remove_products([product_id])
        assert self.generation() > after_sale

    def test_bumped_when_a_search_becomes_a_completion(
        self, settings: object, django_capture_on_commit_callbacks: Any
    ):
        settings.SEARCH_SUGGEST_MIN_SEARCHES = 2  # type: ignore[attr-defined]

        def record() -> None:
            with django_capture_on_commit_callbacks(execute=True):  # Redis bumps after commit
                services.search_record(query="新词", user_id=None, result_count=1)

        start = self.generation()
        record()
        assert self.generation() == start
        record()
        assert self.generation() > start
        bumped = self.generation()
        record()
        assert self.generation() == bumped
