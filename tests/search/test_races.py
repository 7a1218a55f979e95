"""Concurrent indexers on PostgreSQL: no deadlock, no lost or doubled vocabulary counts."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection

from circlemart.search import services
from circlemart.search.models import ProductDocument, Suggestion, Term
from tests.search.conftest import CatalogBuilder

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 6


def run_in_threads(work: list[list[int]]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(work))

    def index(ids: list[int]) -> None:
        try:
            barrier.wait()
            for _round in range(3):
                services.index_products(ids)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=index, args=(ids,)) for ids in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_overlapping_indexers_agree_on_counts():
    builder = CatalogBuilder()
    builder.category("audio", "耳机")
    for index in range(12):
        builder.product(
            f"p{index}",
            f"Sony Wireless Headphones {['alpha', 'beta', 'gamma'][index % 3]} 降噪耳机",
            category="audio",
            tags=["新品"],
        )
    services.reindex_all(clear=True)  # the relay already indexed them: start from nothing
    ProductDocument.objects.all().delete()
    Term.objects.all().delete()
    Suggestion.objects.all().delete()
    ids = sorted(builder.products.values())
    rng = random.Random(7)
    work = []
    for _ in range(THREADS):
        chosen = ids[:]
        rng.shuffle(chosen)
        work.append(chosen)
    assert run_in_threads(work) == []
    assert ProductDocument.objects.count() == 12
    assert Term.objects.get(term="soni").doc_frequency == 12
    assert Term.objects.get(term="alpha").doc_frequency == 4
    assert Suggestion.objects.get(kind="keyword", key="降噪耳机").product_count == 12
    assert Suggestion.objects.get(kind="category", key="耳机").product_count == 12
