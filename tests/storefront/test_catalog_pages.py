"""Catalog pages: home with products, the product page and its cache."""

from __future__ import annotations

import json
import re

import pytest

from circlemart.catalog import services
from circlemart.catalog.models import Product
from circlemart.inventory import services as inventory
from tests.accounts.factories import UserFactory
from tests.catalog import factories

pytestmark = pytest.mark.django_db


def test_home_lists_categories_and_hot_products(client):
    root = factories.category("数码", name_en="Digital")
    leaf = factories.category("耳机", parent=root)
    factories.product(title="热卖耳机", in_category=leaf)
    html = client.get("/").content.decode()
    assert 'href="/c/' + root.slug + '/"' in html
    assert "热卖耳机" in html
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Digital</span></a>" in english
    assert ">数码</span></a>" not in english


def test_product_page_shows_skus_and_price(client):
    product = factories.product(title="降噪耳机", prices=(19900, 25900), stock=(2, 0))
    response = client.get(f"/p/{product.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>降噪耳机 · Circlemart</title>" in html
    assert "¥199.00 – ¥259.00" in html
    payload = json.loads(
        re.search(r'<script id="sku-data" type="application/json">(.*?)</script>', html).group(1)
    )
    assert [(sku["price_display"], sku["available"]) for sku in payload] == [
        ("¥199.00", 2),
        ("¥259.00", 0),
    ]
    assert 'src="/static/storefront/js/product' in html


def test_missing_and_hidden_products_are_404(client):
    hidden = factories.product(status=Product.Status.DRAFT)
    assert client.get(f"/p/{hidden.pk}/").status_code == 404
    assert client.get("/p/999999/").status_code == 404


def test_product_page_is_never_stale_after_price_or_stock_changes(
    client, django_capture_on_commit_callbacks
):
    product = factories.product(prices=(10000,), stock=(5,))
    sku = product.skus.get()
    assert "¥100.00" in client.get(f"/p/{product.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # Redis bumps after commit
        services.sku_set_price(sku_id=sku.pk, price=8800)
    html = client.get(f"/p/{product.pk}/").content.decode()
    assert "¥88.00" in html
    assert "¥100.00" not in html
    with django_capture_on_commit_callbacks(execute=True):
        inventory.stock_adjust(sku_id=sku.pk, delta=-5)
    html = client.get(f"/p/{product.pk}/").content.decode()
    assert '"available": 0' in html


def test_taking_a_product_off_the_shelf_removes_its_cached_page(
    client, django_capture_on_commit_callbacks
):
    product = factories.product()
    assert client.get(f"/p/{product.pk}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.product_set_status(product_id=product.pk, status=Product.Status.OFF_SHELF)
    assert client.get(f"/p/{product.pk}/").status_code == 404


def test_anonymous_product_page_is_served_from_the_cache(
    client, django_assert_num_queries, settings
):
    product = factories.product()
    client.get(f"/p/{product.pk}/")
    with django_assert_num_queries(0 if settings.REDIS_URL else 1):  # the generation lookup
        assert client.get(f"/p/{product.pk}/").status_code == 200


def test_cached_body_does_not_leak_csrf_tokens_between_visitors(client):
    product = factories.product()
    first = client.get(f"/p/{product.pk}/")
    other = type(client)()
    second = other.get(f"/p/{product.pk}/")
    token = re.compile(r'"X-CSRFToken": "([^"]+)"')
    assert token.search(first.content.decode()).group(1) != token.search(
        second.content.decode()
    ).group(1)


def test_signed_in_visitors_get_a_fresh_page(client):
    product = factories.product()
    client.force_login(UserFactory(nickname="买家甲"))
    html = client.get(f"/p/{product.pk}/").content.decode()
    assert "买家甲" in html


def test_signed_in_visitors_share_the_product_body_too(
    client, django_assert_max_num_queries, settings
):
    product = factories.product(title="共享页面")
    type(client)().get(f"/p/{product.pk}/")  # an anonymous visitor renders the body once
    client.force_login(UserFactory(nickname="买家乙"))
    # session, user, and the generation lookup (unless Redis holds it): no catalog queries
    with django_assert_max_num_queries(3 if not settings.REDIS_URL else 2):
        html = client.get(f"/p/{product.pk}/").content.decode()
    assert "共享页面" in html
    assert "买家乙" in html
