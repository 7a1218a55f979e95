"""Catalog API through HTTP: shapes, 404s, ETags and never-stale caching."""

from __future__ import annotations

import pytest

from circlemart.catalog import services
from circlemart.catalog.models import Product
from circlemart.inventory import services as inventory
from tests.accounts.factories import UserFactory
from tests.catalog import factories

pytestmark = pytest.mark.django_db


def test_category_tree_and_detail(api_client):
    root = factories.category("数码", name_en="Digital")
    leaf = factories.category("耳机", parent=root, name_en="Earphones")
    tree = api_client.get("/api/v1/catalog/categories").json()
    assert [(node["name"], [child["name"] for child in node["children"]]) for node in tree] == [
        ("数码", ["耳机"])
    ]
    detail = api_client.get(f"/api/v1/catalog/categories/{leaf.slug}").json()
    assert [item["name_en"] for item in detail["trail"]] == ["Digital", "Earphones"]
    assert api_client.get("/api/v1/catalog/categories/nope").status_code == 404


def test_product_detail_shape(api_client):
    brand = factories.brand("索尼", "Sony")
    product = factories.product(with_brand=brand, prices=(19900, 29900), stock=(3, 0))
    body = api_client.get(f"/api/v1/catalog/products/{product.pk}").json()
    assert body["price_min"] == 19900
    assert body["brand"]["name_en"] == "Sony"
    assert [(sku["price"], sku["available"]) for sku in body["skus"]] == [(19900, 3), (29900, 0)]


def test_unknown_and_hidden_products_are_404(api_client):
    hidden = factories.product(status=Product.Status.DRAFT)
    assert api_client.get(f"/api/v1/catalog/products/{hidden.pk}").status_code == 404
    assert api_client.get("/api/v1/catalog/products/999999").status_code == 404
    assert api_client.get("/api/v1/catalog/products/abc").status_code == 400


def test_etag_gives_304_until_the_price_changes(api_client, django_capture_on_commit_callbacks):
    product = factories.product(prices=(10000,))
    path = f"/api/v1/catalog/products/{product.pk}"
    first = api_client.get(path)
    assert first["Cache-Control"] == "public, max-age=30"
    etag = first["ETag"]
    assert api_client.get(path, headers={"If-None-Match": etag}).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):  # Redis bumps after commit
        services.sku_set_price(sku_id=product.skus.get().pk, price=8800)
    changed = api_client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["skus"][0]["price"] == 8800
    assert changed["ETag"] != etag


def test_cached_detail_is_never_stale_after_a_stock_change(
    api_client, django_capture_on_commit_callbacks
):
    product = factories.product(stock=(5,))
    path = f"/api/v1/catalog/products/{product.pk}"
    assert api_client.get(path).json()["skus"][0]["available"] == 5
    with django_capture_on_commit_callbacks(execute=True):
        inventory.stock_adjust(sku_id=product.skus.get().pk, delta=-5)
    assert api_client.get(path).json()["skus"][0]["available"] == 0


def test_signed_in_callers_get_private_answers(api_client):
    product = factories.product()
    api_client.force_login(UserFactory())
    response = api_client.get(f"/api/v1/catalog/products/{product.pk}")
    assert response["Cache-Control"] == "private, no-cache"


def test_second_read_is_served_from_the_cache(api_client, django_assert_num_queries, settings):
    product = factories.product()
    path = f"/api/v1/catalog/products/{product.pk}"
    api_client.get(path)
    # Only the generation lookup, which lives in Redis when there is one.
    with django_assert_num_queries(0 if settings.REDIS_URL else 1):
        assert api_client.get(path).status_code == 200
