"""Backend choice, schema objects and their repair; the full-text index stays in step."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import Error
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from circlemart.search import backends, checks, schema, selectors
from circlemart.search.backends.base import SearchBackend
from circlemart.search.backends.postgres import PostgresBackend
from circlemart.search.backends.sqlite_fts import SqliteFtsBackend
from circlemart.search.contracts import SearchFilters
from tests.search.conftest import CatalogBuilder, relay

pytestmark = pytest.mark.django_db


def found(query: str) -> list[int]:
    return selectors.product_search(
        query=query, filters=SearchFilters(), sort="", cursor=None, limit=20, viewer_id=None
    ).product_ids


def test_backend_follows_the_database_vendor():
    backend = backends.get_backend()
    assert isinstance(backend, SearchBackend)
    expected = {"sqlite": SqliteFtsBackend, "postgresql": PostgresBackend}[connection.vendor]
    assert type(backend) is expected
    assert backend.schema_problems(connection) == []


def test_both_backends_implement_the_protocol():
    assert isinstance(SqliteFtsBackend(), SearchBackend)
    assert isinstance(PostgresBackend(), SearchBackend)


def test_configured_backend_must_implement_the_protocol(settings: Any):
    settings.SEARCH_BACKEND = "circlemart.search.contracts.SearchFilters"
    with pytest.raises(ImproperlyConfigured):
        backends.get_backend()
    assert [message.id for message in checks.check_backend()] == ["search.E001"]
    settings.SEARCH_BACKEND = "circlemart.search.backends.nowhere.Backend"
    assert [message.id for message in checks.check_backend()] == ["search.E001"]


def test_schema_check_passes_on_a_migrated_database():
    assert checks.check_schema(databases=["default"]) == []
    assert checks.check_backend() == []


def test_lost_schema_objects_are_reported_and_repaired(builder: CatalogBuilder):
    builder.category("audio", "耳机")
    product_id = builder.product("p", "降噪耳机 Sony", category="audio")
    relay()
    backend = backends.get_backend()
    backend.uninstall(connection)
    problems = checks.check_schema(databases=["default"])
    assert problems
    assert all(isinstance(problem, Error) and problem.id == "search.E003" for problem in problems)
    schema.ensure_after_migrate(sender=None, using="default")
    assert backend.schema_problems(connection) == []
    assert found("降噪") == [product_id]
    assert found("sony") == [product_id]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 integrity check")
def test_fts_tables_agree_with_the_documents_after_every_kind_of_write(shop: CatalogBuilder):
    from circlemart.catalog import services as catalog
    from circlemart.catalog.models import Product
    from circlemart.search import services

    backend = backends.get_backend()
    assert isinstance(backend, SqliteFtsBackend)
    catalog.product_update(product_id=shop.id("sony"), title="索尼 新标题 耳机")
    catalog.product_set_status(product_id=shop.id("buds"), status=Product.Status.OFF_SHELF)
    relay()
    shop.stats("iphone", sales=5)  # value-only update: the FTS rows are not touched
    services.remove_products([shop.id("floral")])
    assert backend.integrity_problems(connection) == []
    assert found("新标题") == [shop.id("sony")]
    assert found("碎花") == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 integrity check")
def test_integrity_check_notices_an_index_out_of_step(shop: CatalogBuilder):
    backend = backends.get_backend()
    assert isinstance(backend, SqliteFtsBackend)
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER search_doc_fts_after_update")
        cursor.execute(
            "UPDATE search_productdocument SET title_terms = 'changed' WHERE product_id = %s",
            [shop.id("sony")],
        )
    assert backend.integrity_problems(connection) != []
    schema.ensure_after_migrate(sender=None, using="default")  # recreates and rebuilds
    assert backend.integrity_problems(connection) == []
