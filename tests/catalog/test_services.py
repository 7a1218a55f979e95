"""Catalog services and selectors, called directly."""

from __future__ import annotations

import io

import pytest
from django.db import IntegrityError, transaction
from PIL import Image

from circlemart.catalog import selectors, services
from circlemart.catalog.models import Category, Product, ProductImage, Sku
from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.core.events import relay_pending
from circlemart.core.models import OutboxEvent
from circlemart.inventory.models import StockLevel
from tests.catalog import factories

pytestmark = pytest.mark.django_db


class TestCategoryTree:
    def test_paths_depths_and_subtrees(self):
        root = factories.category("数码")
        mid = factories.category("影音", parent=root)
        leaf = factories.category("耳机", parent=mid)
        other = factories.category("美妆")
        assert (root.path, mid.path, leaf.path, other.path) == (
            "0001",
            "00010001",
            "000100010001",
            "0002",
        )
        assert [c.depth for c in (root, mid, leaf)] == [0, 1, 2]
        subtree = set(
            Category.objects.filter(path__startswith=root.path).values_list("id", flat=True)
        )
        assert subtree == {root.pk, mid.pk, leaf.pk}
        assert [node.name for node in selectors.category_trail(leaf.path)] == [
            "数码",
            "影音",
            "耳机",
        ]

    def test_tree_selector_nests_children(self):
        root = factories.category("数码")
        factories.category("影音", parent=root)
        factories.category("手机", parent=root)
        relay_pending()  # the tree cache is dropped by the CategoryTreeChanged handler
        tree = selectors.category_tree()
        assert [node.name for node in tree] == ["数码"]
        assert [node.name for node in tree[0].children] == ["影音", "手机"]

    def test_slug_taken_and_missing_parent(self):
        services.category_create(name="A", slug="same")
        with pytest.raises(Conflict) as caught:
            services.category_create(name="B", slug="same")
        assert caught.value.field == "slug"
        with pytest.raises(NotFound):
            services.category_create(name="C", slug="c", parent_id=999999)
        assert Category.objects.count() == 1

    def test_move_rewrites_the_whole_subtree_and_refuses_cycles(self):
        a = factories.category("A")
        b = factories.category("B")
        a1 = factories.category("A1", parent=a)
        a11 = factories.category("A11", parent=a1)
        services.category_move(category_id=a1.pk, parent_id=b.pk)
        a1.refresh_from_db()
        a11.refresh_from_db()
        assert a1.path.startswith(b.path)
        assert a11.path.startswith(a1.path)
        assert (a1.depth, a11.depth) == (1, 2)
        with pytest.raises(ValidationFailed) as caught:
            services.category_move(category_id=a1.pk, parent_id=a11.pk)
        assert caught.value.code == "category_cycle"
        services.category_move(category_id=a1.pk, parent_id=None)
        a11.refresh_from_db()
        assert a11.depth == 1


class TestProducts:
    def test_create_derives_prices_stock_and_announces(self):
        product = factories.product(prices=(29900, 19900, 39900), stock=(5, 0, 7), tags=["新品"])
        assert (product.price_min, product.price_max) == (19900, 39900)
        levels = dict(StockLevel.objects.values_list("sku__price", "on_hand"))
        assert levels == {29900: 5, 19900: 0, 39900: 7}
        event = OutboxEvent.objects.filter(event_type="catalog.ProductChanged").get()
        assert event.payload == {"product_id": product.pk, "change": "created"}
        assert [tag.name for tag in product.tags.all()] == ["新品"]

    @pytest.mark.parametrize(
        ("skus", "field", "code"),
        [
            ([], "skus", "no_skus"),
            ([services.SkuInput(code="x", price=0)], "skus[0].price", "invalid_price"),
            ([services.SkuInput(code="x", price=-5)], "skus[0].price", "invalid_price"),
            (
                [services.SkuInput(code="x", price=100, original_price=99)],
                "skus[0].original_price",
                "invalid_price",
            ),
            (
                [
                    services.SkuInput(code="x", price=100, options={"色": "红"}),
                    services.SkuInput(code="y", price=100, options={"色": "红"}),
                ],
                "skus[1].options",
                "duplicate_options",
            ),
            ([services.SkuInput(code="x", price=100, stock=-1)], "skus[0].stock", "negative_stock"),
        ],
    )
    def test_bad_products_name_the_field_and_create_nothing(self, skus, field, code):
        leaf = factories.category()
        with pytest.raises(ValidationFailed) as caught:
            services.product_create(
                data=services.ProductInput(
                    code="BAD", title="坏商品", category_id=leaf.pk, skus=skus
                )
            )
        assert (caught.value.field, caught.value.code) == (field, code)
        assert Product.objects.count() == 0
        assert Sku.objects.count() == 0

    def test_duplicate_sku_code_rolls_everything_back(self):
        existing = factories.product()
        taken = existing.skus.get().code
        leaf = factories.category()
        with pytest.raises(Conflict):
            services.product_create(
                data=services.ProductInput(
                    code="NEW-1",
                    title="新",
                    category_id=leaf.pk,
                    skus=[services.SkuInput(code=taken, price=100, stock=3)],
                )
            )
        assert Product.objects.count() == 1
        assert StockLevel.objects.count() == 1

    def test_description_is_sanitised(self):
        product = factories.product()
        services.product_update(
            product_id=product.pk,
            description_html=(
                '<p onclick="steal()">好<script>alert(1)</script></p>'
                '<img src="https://img.example.com/a.jpg" onerror="x()">'
                '<a href="javascript:alert(1)">x</a>'
            ),
        )
        product.refresh_from_db()
        assert "script" not in product.description_html
        assert "onclick" not in product.description_html
        assert "onerror" not in product.description_html
        assert "javascript:" not in product.description_html
        assert '<img src="https://img.example.com/a.jpg">' in product.description_html

    def test_repricing_updates_the_range(self):
        product = factories.product(prices=(10000, 20000))
        cheap = product.skus.get(price=10000)
        services.sku_set_price(sku_id=cheap.pk, price=30000, original_price=35000)
        product.refresh_from_db()
        assert (product.price_min, product.price_max) == (20000, 30000)
        with pytest.raises(ValidationFailed):
            services.sku_set_price(sku_id=cheap.pk, price=30000, original_price=100)

    def test_off_shelf_products_disappear_from_public_reads(self):
        product = factories.product()
        assert selectors.product_detail(product.pk) is not None
        services.product_set_status(product_id=product.pk, status=Product.Status.OFF_SHELF)
        assert selectors.product_detail(product.pk) is None
        assert selectors.product_cards([product.pk]) == []
        assert selectors.product_detail(product.pk, include_hidden=True) is not None

    def test_database_guards_prices(self):
        product = factories.product()
        with pytest.raises(IntegrityError), transaction.atomic():
            Sku.objects.create(product=product, code="Z0", price=0, options_key="z")
        with pytest.raises(IntegrityError), transaction.atomic():
            Sku.objects.create(
                product=product, code="Z1", price=100, original_price=50, options_key="z1"
            )


class TestReads:
    def test_cards_keep_order_and_know_stock(self):
        sold_out = factories.product(title="售罄", stock=(0,))
        available = factories.product(title="有货", stock=(3,))
        cards = selectors.product_cards([available.pk, sold_out.pk, 999999])
        assert [(card.title, card.in_stock) for card in cards] == [("有货", True), ("售罄", False)]

    def test_detail_in_a_fixed_number_of_queries(self, django_assert_num_queries):
        root = factories.category("数码")
        leaf = factories.category("耳机", parent=root)
        product = factories.product(in_category=leaf, prices=(100, 200, 300), tags=["a", "b"])
        with django_assert_num_queries(6):
            detail = selectors.product_detail(product.pk)
        assert detail is not None
        assert [sku.price for sku in detail.skus] == [100, 200, 300]
        assert detail.option_names == ["颜色"]
        assert [node.name for node in detail.category_trail] == ["数码", "耳机"]


def _png(size=(900, 600)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


class TestImages:
    def test_upload_makes_webp_and_thumbnail_and_sets_cover(self):
        product = factories.product()
        image = services.product_image_add(product_id=product.pk, upload=_png(), alt="正面")
        with Image.open(image.image.path) as full, Image.open(image.thumbnail.path) as thumb:
            assert (full.format, full.size) == ("WEBP", (900, 600))
            assert (thumb.format, max(thumb.size)) == ("WEBP", 400)
        product.refresh_from_db()
        assert product.cover == image.thumbnail.url

    def test_not_an_image(self):
        product = factories.product()
        with pytest.raises(ValidationFailed) as caught:
            services.product_image_add(product_id=product.pk, upload=io.BytesIO(b"GIF89a-not"))
        assert caught.value.field == "image"
        assert ProductImage.objects.count() == 0


def test_tags_differing_only_in_case_share_one_tag():
    product = factories.product(tags=["Hot", "hot", "新品"])
    assert sorted(tag.name for tag in product.tags.all()) == ["Hot", "新品"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title_en": "x" * 161}, "title_en"),
        ({"subtitle": "y" * 201}, "subtitle"),
        ({"code": "z" * 41}, "code"),
    ],
)
def test_overlong_product_fields_are_refused_before_the_database(changes, field):
    leaf = factories.category()
    data = {
        "code": "LONG-1",
        "title": "标题",
        "category_id": leaf.pk,
        "skus": [services.SkuInput(code="LONG-1-A", price=100)],
        **changes,
    }
    with pytest.raises(ValidationFailed) as caught:
        services.product_create(data=services.ProductInput(**data))
    assert caught.value.field == field
    assert Product.objects.count() == 0
