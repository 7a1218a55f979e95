"""Cached product card fragments: the same markup as the card template, per product
generation and language, never stale."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from circlemart.catalog import selectors as catalog_selectors
from circlemart.catalog import services as catalog
from circlemart.catalog.models import Product
from circlemart.inventory import services as inventory
from circlemart.storefront.cards import card_fragments, product_link_format
from tests.catalog import factories

pytestmark = pytest.mark.django_db


def test_fragments_are_the_card_template_in_the_order_asked():
    first = factories.product(title="第一", title_en="First", prices=(1990,))
    second = factories.product(title="第二", title_en="Second", prices=(2990,))
    with translation.override("zh-hans"):
        fragments = card_fragments([second.pk, first.pk])
        expected = [
            render_to_string("storefront/partials/_product_card.html", {"card": card})
            for card in catalog_selectors.product_cards([second.pk, first.pk])
        ]
    assert [str(fragment) for fragment in fragments] == expected
    assert f'href="/p/{second.pk}/"' in fragments[0]
    assert "¥29.90" in fragments[0]


def test_products_not_on_sale_are_left_out():
    shown = factories.product(title="在售")
    draft = factories.product(title="草稿", status=Product.Status.DRAFT)
    fragments = card_fragments([draft.pk, shown.pk, 999_999])
    assert len(fragments) == 1
    assert "在售" in fragments[0]


def test_a_warm_grid_costs_one_generation_lookup_at_most(django_assert_num_queries, settings):
    products = [factories.product(title=f"卡片 {number}") for number in range(5)]
    ids = [product.pk for product in products]
    card_fragments(ids)
    with django_assert_num_queries(0 if settings.REDIS_URL else 1):
        assert len(card_fragments(ids)) == 5


def test_each_language_has_its_own_fragment():
    product = factories.product(title="耳机", title_en="Headphones")
    with translation.override("zh-hans"):
        assert ">耳机<" in card_fragments([product.pk])[0]
    with translation.override("en"):
        assert ">Headphones<" in card_fragments([product.pk])[0]


def test_a_change_to_the_product_shows_at_once(django_capture_on_commit_callbacks):
    product = factories.product(title="旧标题", prices=(10000,), stock=(3,))
    sku = product.skus.get()
    with translation.override("zh-hans"):
        assert "旧标题" in card_fragments([product.pk])[0]
        with django_capture_on_commit_callbacks(execute=True):
            catalog.product_update(product_id=product.pk, title="新标题")
        assert "新标题" in card_fragments([product.pk])[0]
        with django_capture_on_commit_callbacks(execute=True):
            catalog.sku_set_price(sku_id=sku.pk, price=7700)
        assert "¥77.00" in card_fragments([product.pk])[0]
        assert 'class="sold-out"' not in card_fragments([product.pk])[0]
        with django_capture_on_commit_callbacks(execute=True):
            inventory.stock_adjust(sku_id=sku.pk, delta=-3)
        assert 'class="sold-out"' in card_fragments([product.pk])[0]
        with django_capture_on_commit_callbacks(execute=True):
            catalog.product_set_status(product_id=product.pk, status=Product.Status.OFF_SHELF)
        assert card_fragments([product.pk]) == []


def test_the_link_format_is_the_product_page_address():
    assert product_link_format().format(id=42) == "/p/42/"


def test_home_grids_use_the_cards_and_follow_a_price_change(
    client, django_capture_on_commit_callbacks
):
    product = factories.product(title="首页卡片", prices=(10000,))
    html = client.get("/").content.decode()
    assert html.count(f'href="/p/{product.pk}/"') == 2  # hot and new
    assert "¥100.00" in html
    with django_capture_on_commit_callbacks(execute=True):
        catalog.sku_set_price(sku_id=product.skus.get().pk, price=8800)
    html = client.get("/").content.decode()
    assert "¥88.00" in html
    assert "¥100.00" not in html
