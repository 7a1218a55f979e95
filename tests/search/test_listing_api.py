"""Listing and search through HTTP: /api/v1/catalog/products, /suggest, /hot-searches and
the signed-in user's history."""

from __future__ import annotations

import pytest

from circlemart.accounts.services import token_pair_issue
from circlemart.catalog import services as catalog
from circlemart.core.events import relay_pending
from tests.accounts.factories import UserFactory
from tests.catalog import factories

pytestmark = pytest.mark.django_db
PRODUCTS = "/api/v1/catalog/products"


@pytest.fixture
def shop():
    digital = factories.category("数码", name_en="Digital")
    audio = factories.category("耳机", parent=digital, name_en="Earphones")
    beauty = factories.category("美妆", name_en="Beauty")
    sony = factories.brand("索尼", "Sony")
    items = {
        "anc": factories.product(
            title="无线蓝牙降噪耳机",
            title_en="Wireless Headphones",
            in_category=audio,
            with_brand=sony,
            prices=(59900,),
        ),
        "cheap": factories.product(
            title="入门有线耳机",
            title_en="Wired Earphones",
            in_category=audio,
            prices=(4900,),
            stock=(0,),
        ),
        "cream": factories.product(
            title="保湿面霜", title_en="Face Cream", in_category=beauty, prices=(19900,)
        ),
    }
    relay_pending()  # ProductChanged → search index
    return {"digital": digital, "audio": audio, "sony": sony, **items}


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


def test_chinese_query_finds_segmented_titles(api_client, shop):
    response = api_client.get(PRODUCTS, {"q": "蓝牙耳机"})
    assert response.status_code == 200
    assert ids(response) == [shop["anc"].pk]
    assert response.json()["total"] == 1


def test_english_query_is_stemmed_and_typo_tolerant(api_client, shop):
    assert ids(api_client.get(PRODUCTS, {"q": "headphone"})) == [shop["anc"].pk]
    corrected = api_client.get(PRODUCTS, {"q": "headphnes"}).json()
    assert [item["id"] for item in corrected["items"]] == [shop["anc"].pk]
    assert corrected["corrected_query"] == "headphones"


def test_browse_a_category_subtree_with_filters_and_sort(api_client, shop):
    browse = api_client.get(PRODUCTS, {"category": shop["digital"].slug, "sort": "price_asc"})
    assert ids(browse) == [shop["cheap"].pk, shop["anc"].pk]
    in_stock = api_client.get(PRODUCTS, {"category": shop["digital"].slug, "in_stock": "1"})
    assert ids(in_stock) == [shop["anc"].pk]
    by_brand = api_client.get(PRODUCTS, {"brand": str(shop["sony"].pk)})
    assert ids(by_brand) == [shop["anc"].pk]
    priced = api_client.get(PRODUCTS, {"price_min": "10000", "price_max": "30000"})
    assert ids(priced) == [shop["cream"].pk]
    facets = browse.json()["facets"]
    assert [(facet["name"], facet["count"]) for facet in facets["categories"]] == [("耳机", 2)]
    assert facets["in_stock_count"] == 1


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"price_min": "-1"}, 400, "price_min"),
        ({"price_min": "abc"}, 400, "price_min"),
        ({"sort": "cheapest"}, 400, "sort"),
        ({"limit": "101"}, 400, "limit"),
        ({"cursor": "forged"}, 400, "cursor"),
        ({"brand": "x,y"}, 400, "brand"),
        ({"category": "no-such-category"}, 404, "category"),
    ],
)
def test_bad_parameters_name_themselves(api_client, shop, params, status, field):
    response = api_client.get(PRODUCTS, params)
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_cursor_walk_returns_every_product_once(api_client, shop):
    seen, cursor = [], None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = api_client.get(PRODUCTS, params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(p.pk for p in (shop["anc"], shop["cheap"], shop["cream"]))


def test_browse_answers_are_cached_but_follow_price_changes(
    api_client, shop, django_capture_on_commit_callbacks
):
    first = api_client.get(PRODUCTS, {"category": shop["digital"].slug})
    assert first["ETag"]
    assert (
        api_client.get(
            PRODUCTS, {"category": shop["digital"].slug}, headers={"If-None-Match": first["ETag"]}
        ).status_code
        == 304
    )
    with django_capture_on_commit_callbacks(execute=True):
        catalog.sku_set_price(sku_id=shop["anc"].skus.get().pk, price=1000)
        relay_pending()
    again = api_client.get(PRODUCTS, {"category": shop["digital"].slug, "sort": "price_asc"})
    assert again.json()["items"][0]["price_min"] == 1000


def test_suggestions_and_hot_searches(api_client, shop):
    suggestions = api_client.get("/api/v1/catalog/suggest", {"q": "无线"}).json()
    assert "无线蓝牙降噪耳机" in [item["text"] for item in suggestions]
    for _ in range(3):
        api_client.get(PRODUCTS, {"q": "面霜"})
    hot = api_client.get("/api/v1/catalog/hot-searches").json()
    assert hot[0]["query"] == "面霜"


def test_search_history_is_private_and_clearable(api_client, shop):
    user = UserFactory()
    headers = {"Authorization": f"Bearer {token_pair_issue(user=user).access_token}"}
    api_client.get(PRODUCTS, {"q": "耳机"}, headers=headers)
    api_client.get(PRODUCTS, {"q": "面霜"}, headers=headers)
    history = api_client.get("/api/v1/me/search-history", headers=headers).json()
    assert [entry["query"] for entry in history] == ["面霜", "耳机"]
    assert api_client.get("/api/v1/me/search-history").status_code == 401
    assert api_client.delete("/api/v1/me/search-history", headers=headers).status_code == 204
    assert api_client.get("/api/v1/me/search-history", headers=headers).json() == []
