"""Back office pages of search render, and operators can hide or add suggestions."""

from __future__ import annotations

import pytest
from django.test import Client

from circlemart.search import selectors, services
from circlemart.search.contracts import SuggestionView
from circlemart.search.models import ProductDocument, Suggestion
from tests.accounts.factories import UserFactory
from tests.search.conftest import CatalogBuilder

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_pages_render(shop: CatalogBuilder, operator: Client):
    services.search_record(query="蓝牙耳机", user_id=None, result_count=2)
    services.search_record(query="蓝牙耳机", user_id=None, result_count=2)
    services.search_record(query="没有的东西", user_id=None, result_count=0)
    for url in (
        "/admin/search/productdocument/",
        "/admin/search/term/",
        "/admin/search/suggestion/",
        "/admin/search/searchquery/",
        "/admin/search/reindexstate/",
        f"/admin/search/productdocument/{shop.id('sony')}/change/",
    ):
        assert operator.get(url).status_code == 200, url
    trends = operator.get("/admin/search/searchquery/trends/?days=30")
    assert trends.status_code == 200
    body = trends.content.decode()
    assert "蓝牙耳机" in body
    assert "没有的东西" in body


def test_trends_need_staff(shop: CatalogBuilder):
    client = Client()
    client.force_login(UserFactory())
    assert client.get("/admin/search/searchquery/trends/").status_code == 302


def test_reindex_action(shop: CatalogBuilder, operator: Client):
    ProductDocument.objects.filter(product_id=shop.id("sony")).update(title="stale")
    response = operator.post(
        "/admin/search/productdocument/",
        {"action": "reindex_selected", "_selected_action": [shop.id("sony")]},
        follow=True,
    )
    assert response.status_code == 200
    assert ProductDocument.objects.get(product_id=shop.id("sony")).title.startswith("索尼")


def test_operator_adds_and_hides_suggestions(shop: CatalogBuilder, operator: Client):
    response = operator.post(
        "/admin/search/suggestion/add/",
        {"kind": "query", "text": "  双十一 Deals ", "boost": 50, "is_hidden": ""},
    )
    assert response.status_code == 302
    added = Suggestion.objects.get(kind="query", key="双十一 deals")
    assert added.text == "  双十一 Deals ".strip() or added.text == "双十一 Deals"
    assert selectors.suggest("双十") == [SuggestionView(added.text, "query")]
    again = operator.post(
        "/admin/search/suggestion/add/", {"kind": "query", "text": "双十一 DEALS", "boost": 1}
    )
    assert again.status_code == 200
    assert Suggestion.objects.filter(key="双十一 deals").count() == 1
