"""Search answers of /api/v1/catalog/products are cached per query and filters until the
index or a listed product changes, and every search is still logged."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circlemart.accounts.services import token_pair_issue
from circlemart.catalog import services as catalog
from circlemart.core.events import relay_pending
from circlemart.search.models import SearchHistory, SearchQuery, Suggestion
from tests.accounts.factories import UserFactory
from tests.catalog import factories

pytestmark = pytest.mark.django_db
PRODUCTS = "/api/v1/catalog/products"


@pytest.fixture
def products():
    audio = factories.category("耳机", name_en="Earphones")
    made = [
        factories.product(title=f"降噪耳机 {number}", in_category=audio, prices=(10000 + number,))
        for number in range(3)
    ]
    relay_pending()
    return made


def test_a_repeated_search_reads_no_index_and_is_logged_each_time(api_client, products):
    first = api_client.get(PRODUCTS, {"q": "降噪耳机"}).json()
    assert first["total"] == 3
    with CaptureQueriesContext(connection) as captured:
        again = api_client.get(PRODUCTS, {"q": "降噪耳机"}).json()
    assert again == first
    assert not any("search_productdocument" in q["sql"] for q in captured.captured_queries)
    assert not any("catalog_product" in q["sql"] for q in captured.captured_queries)
    assert SearchQuery.objects.filter(query="降噪耳机").count() == 2
    assert Suggestion.objects.get(kind="query", key="降噪耳机").search_count == 2


def test_a_price_change_shows_in_the_next_search(
    api_client, products, django_capture_on_commit_callbacks
):
    before = api_client.get(PRODUCTS, {"q": "降噪耳机", "sort": "price_asc"}).json()
    assert before["items"][0]["price_min"] == 10000
    with django_capture_on_commit_callbacks(execute=True):
        catalog.sku_set_price(sku_id=products[2].skus.get().pk, price=500)
        relay_pending()
    after = api_client.get(PRODUCTS, {"q": "降噪耳机", "sort": "price_asc"}).json()
    assert after["items"][0]["id"] == products[2].pk
    assert after["items"][0]["price_min"] == 500


def test_a_new_product_joins_the_next_search(
    api_client, products, django_capture_on_commit_callbacks
):
    assert api_client.get(PRODUCTS, {"q": "降噪耳机"}).json()["total"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        factories.product(title="降噪耳机 新款")
        relay_pending()
    assert api_client.get(PRODUCTS, {"q": "降噪耳机"}).json()["total"] == 4


def test_signed_in_searches_from_the_cache_reach_the_history(api_client, products):
    api_client.get(PRODUCTS, {"q": "降噪耳机"})  # cached by an anonymous search
    user = UserFactory()
    headers = {"Authorization": f"Bearer {token_pair_issue(user=user).access_token}"}
    assert api_client.get(PRODUCTS, {"q": "降噪耳机"}, headers=headers).json()["total"] == 3
    assert list(SearchHistory.objects.filter(user=user).values_list("query", flat=True)) == [
        "降噪耳机"
    ]


def test_cursor_pages_are_cached_apart_and_not_logged(api_client, products):
    first = api_client.get(PRODUCTS, {"q": "降噪耳机", "limit": "2"}).json()
    second = api_client.get(
        PRODUCTS, {"q": "降噪耳机", "limit": "2", "cursor": first["next_cursor"]}
    ).json()
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    assert {item["id"] for item in first["items"]}.isdisjoint(
        item["id"] for item in second["items"]
    )
    assert SearchQuery.objects.count() == 1


def test_bad_parameters_answer_400_naming_the_field(api_client, products):
    response = api_client.get(PRODUCTS, {"q": "降噪耳机", "price_min": "abc"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "price_min"
    assert SearchQuery.objects.count() == 0
