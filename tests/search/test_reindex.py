"""`circlemart reindex`: full rebuild in batches, resumable, removing what is gone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from circlemart.catalog.models import Product
from circlemart.search import services
from circlemart.search.models import (
    DocumentTag,
    ProductDocument,
    ReindexState,
    Suggestion,
    Term,
)
from tests.search.conftest import CatalogBuilder

pytestmark = pytest.mark.django_db


@pytest.fixture
def unindexed(builder: CatalogBuilder) -> CatalogBuilder:
    """Seven products written without relaying the outbox: the index is empty."""
    builder.category("audio", "耳机")
    for index in range(6):
        builder.product(f"p{index}", f"耳机 Model{index} Sony", category="audio", tags=["新品"])
    builder.product("draft", "草稿 耳机", category="audio", status=Product.Status.DRAFT)
    return builder


def indexed_ids() -> list[int]:
    return list(ProductDocument.objects.order_by("product_id").values_list("product_id", flat=True))


def on_sale(builder: CatalogBuilder) -> list[int]:
    return sorted(builder.id(f"p{index}") for index in range(6))


def test_full_rebuild(unindexed: CatalogBuilder, capsys: Any):
    call_command("reindex", "--quiet", "--batch-size", "3")
    assert indexed_ids() == on_sale(unindexed)
    assert DocumentTag.objects.count() == 6
    assert Term.objects.get(term="soni").doc_frequency == 6
    state = ReindexState.objects.get()
    assert state.last_product_id == unindexed.id("draft")
    assert state.indexed_count == 7
    assert state.finished_at is not None
    assert "Reindexed 7 products." in capsys.readouterr().out


def test_reindex_all_returns_the_products_visited(unindexed: CatalogBuilder):
    assert services.reindex_all(progress=False, resume=False) == 7
    assert services.reindex_all(progress=False, resume=False) == 7
    assert indexed_ids() == on_sale(unindexed)
    assert Term.objects.get(term="soni").doc_frequency == 6


def test_interrupted_run_resumes_after_the_last_committed_batch(
    unindexed: CatalogBuilder, monkeypatch: Any
):
    real_batch = services._index_batch
    calls: list[list[int]] = []

    def interrupted_on_second_batch(ids: list[int], **kwargs: Any) -> Any:
        calls.append(ids)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_batch(ids, **kwargs)

    monkeypatch.setattr(services, "_index_batch", interrupted_on_second_batch)
    with pytest.raises(CommandError) as caught:
        call_command("reindex", "--quiet", "--batch-size", "2")
    assert caught.value.returncode == 130
    first_batch = on_sale(unindexed)[:2]
    assert f"after product {first_batch[-1]}" in str(caught.value)
    assert indexed_ids() == first_batch
    state = ReindexState.objects.get()
    assert (state.last_product_id, state.indexed_count, state.finished_at) == (
        first_batch[-1],
        2,
        None,
    )

    monkeypatch.setattr(services, "_index_batch", real_batch)
    assert services.reindex_all(resume=True, batch_size=2) == 5
    assert indexed_ids() == on_sale(unindexed)
    state.refresh_from_db()
    assert state.indexed_count == 7
    assert state.finished_at is not None
    assert Term.objects.get(term="soni").doc_frequency == 6


def test_resume_after_a_finished_run_starts_over(unindexed: CatalogBuilder):
    services.reindex_all()
    ProductDocument.objects.filter(product_id=unindexed.id("p0")).delete()
    call_command("reindex", "--quiet", "--resume")
    assert unindexed.id("p0") in indexed_ids()


def test_documents_of_products_that_are_gone_are_removed(unindexed: CatalogBuilder):
    services.reindex_all()
    now = datetime(2030, 1, 1, tzinfo=UTC)
    ghosts = [
        ProductDocument(
            product_id=product_id,
            title="ghost",
            title_terms="ghost",
            category_id=1,
            category_path="0001",
            price_min=1,
            published_at=now,
            indexed_at=now,
        )
        for product_id in (unindexed.id("p2") * 1000, unindexed.id("draft") + 5)
    ]
    ProductDocument.objects.bulk_create(ghosts)
    call_command("reindex", "--quiet", "--batch-size", "2")
    assert indexed_ids() == on_sale(unindexed)


def test_clear_rebuilds_counts_from_scratch(unindexed: CatalogBuilder):
    services.reindex_all()
    Term.objects.filter(term="soni").update(doc_frequency=99)
    Suggestion.objects.filter(kind="keyword").update(product_count=42)
    Suggestion.objects.create(kind="query", key="热门", text="热门", search_count=5)
    call_command("reindex", "--quiet", "--clear")
    assert Term.objects.get(term="soni").doc_frequency == 6
    assert set(
        Suggestion.objects.filter(kind="keyword").values_list("product_count", flat=True)
    ) == {
        1,
        6,
    }
    assert Suggestion.objects.get(kind="query", key="热门").search_count == 5


def test_bad_options(unindexed: CatalogBuilder):
    with pytest.raises(CommandError):
        call_command("reindex", "--batch-size", "0")
    with pytest.raises(CommandError):
        call_command("reindex", "--resume", "--clear")


def test_progress_bar_goes_to_stderr(unindexed: CatalogBuilder, capsys: Any):
    services.reindex_all(progress=True)
    assert "7/7" in capsys.readouterr().err
