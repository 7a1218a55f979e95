"""Search result pages come from a cache shared by every visitor, per address and language;
every change a page shows (a title, a price, stock, the index) makes the next search see it,
and every search is still logged, cached or not."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client

from circlemart.catalog import services as catalog
from circlemart.catalog.models import Product
from circlemart.core.events import relay_pending
from circlemart.inventory import services as inventory
from circlemart.search.models import SearchHistory, SearchQuery, Suggestion
from tests.accounts.factories import UserFactory
from tests.catalog import factories

pytestmark = pytest.mark.django_db
CARD = re.compile(r'data-testid="product-card"')
TITLE = re.compile(r'class="product-title"[^>]*>([^<]+)<')


@pytest.fixture
def shop():
    audio = factories.category("耳机", name_en="Earphones")
    products = [
        factories.product(
            title=f"蓝牙耳机 {number}",
            title_en=f"Bluetooth Earphones {number}",
            in_category=audio,
            prices=(1000 * (number + 1),),
            stock=(5,),
        )
        for number in range(3)
    ]
    relay_pending()
    return {"audio": audio, "products": products}


def search(client: Client, query: str = "蓝牙耳机", **params: str) -> str:
    response = client.get("/search/", {"q": query, **params})
    assert response.status_code == 200
    return response.content.decode()


def test_a_repeated_search_runs_no_search_query_and_is_still_logged(
    client, shop, django_assert_num_queries, settings
):
    first = search(client)
    assert len(CARD.findall(first)) == 3
    # Cached: the generation lookup (unless Redis holds it), then the log write in one
    # transaction (a savepoint here): the log row, the popular query's row ensured, locked
    # (where the database can), counted, and its threshold checked. Nothing reads the catalog
    # or the index.
    expected = 6 + (0 if settings.REDIS_URL else 1) + (1 if connection.vendor != "sqlite" else 0)
    with django_assert_num_queries(expected) as captured:
        second = search(client)
    assert not any("search_productdocument" in q["sql"] for q in captured.captured_queries)
    assert not any("catalog_product" in q["sql"] for q in captured.captured_queries)
    assert TITLE.findall(second) == TITLE.findall(first)
    assert SearchQuery.objects.filter(query="蓝牙耳机").count() == 2
    assert Suggestion.objects.get(kind="query", key="蓝牙耳机").search_count == 2


def test_signed_in_searches_share_the_body_and_still_reach_the_history(client, shop):
    anonymous = search(Client())
    client.force_login(user := UserFactory(nickname="买家丙"))
    signed_in = search(client)
    assert TITLE.findall(signed_in) == TITLE.findall(anonymous)
    assert "买家丙" in signed_in
    assert list(SearchHistory.objects.filter(user=user).values_list("query", flat=True)) == [
        "蓝牙耳机"
    ]
    history = client.get("/search/").content.decode()
    assert "蓝牙耳机" in history


def test_a_new_title_shows_in_the_next_search(client, shop, django_capture_on_commit_callbacks):
    search(client)
    with django_capture_on_commit_callbacks(execute=True):
        catalog.product_update(product_id=shop["products"][0].pk, title="蓝牙耳机 改名了")
    relay_pending()
    assert "蓝牙耳机 改名了" in TITLE.findall(search(client))


def test_a_new_price_shows_in_the_next_search(client, shop, django_capture_on_commit_callbacks):
    assert "¥10.00" in search(client)
    sku = shop["products"][0].skus.get()
    with django_capture_on_commit_callbacks(execute=True):
        catalog.sku_set_price(sku_id=sku.pk, price=800)
    relay_pending()
    html = search(client)
    assert "¥8.00" in html
    assert "¥10.00" not in html


def test_selling_out_shows_in_the_next_search(shop, django_capture_on_commit_callbacks):
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert "Sold out" not in search(english)
    sku = shop["products"][1].skus.get()
    with django_capture_on_commit_callbacks(execute=True):
        inventory.stock_adjust(sku_id=sku.pk, delta=-5)
    relay_pending()
    assert search(english).count("Sold out") == 1


def test_a_product_off_the_shelf_leaves_the_next_search(
    client, shop, django_capture_on_commit_callbacks
):
    assert len(CARD.findall(search(client))) == 3
    with django_capture_on_commit_callbacks(execute=True):
        catalog.product_set_status(
            product_id=shop["products"][2].pk, status=Product.Status.OFF_SHELF
        )
    relay_pending()
    html = search(client)
    assert len(CARD.findall(html)) == 2
    assert "蓝牙耳机 2" not in TITLE.findall(html)


def test_a_new_product_joins_the_next_search(client, shop, django_capture_on_commit_callbacks):
    search(client)
    with django_capture_on_commit_callbacks(execute=True):
        factories.product(title="蓝牙耳机 新品", in_category=shop["audio"])
    relay_pending()
    assert "蓝牙耳机 新品" in TITLE.findall(search(client))


def test_each_language_gets_its_own_page(shop):
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/search/", {"q": "蓝牙耳机"})
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/search/", {"q": "蓝牙耳机"})
    assert "蓝牙耳机 0" in TITLE.findall(chinese.content.decode())
    assert "Bluetooth Earphones 0" in TITLE.findall(english.content.decode())


def test_every_parameter_of_the_address_counts(client, shop):
    """The body links back to its own address (filters, the next page): another address
    never gets it."""
    plain = search(client, sort="price_desc")
    tagged = search(client, sort="price_desc", utm_source="mail")
    assert "utm_source" not in plain
    assert TITLE.findall(tagged) == TITLE.findall(plain)
    cheap = search(client, price="0-1500")
    assert TITLE.findall(cheap) == ["蓝牙耳机 0"]
    assert TITLE.findall(search(client, price_min="0", price_max="1500")) == ["蓝牙耳机 0"]


def test_a_bad_filter_is_a_400_and_not_cached(client, shop):
    first = client.get("/search/", {"q": "蓝牙耳机", "price_min": "abc"})
    again = client.get("/search/", {"q": "蓝牙耳机", "price_min": "abc"})
    assert first.status_code == again.status_code == 400
    assert SearchQuery.objects.count() == 0
