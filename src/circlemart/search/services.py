"""Search writes: (re)indexing products, and recording searches and per-user history.

Indexing is idempotent — a document is always rebuilt from the catalog's current state — so
an event delivered twice, or an index run repeated, changes nothing the second time.

Locking (PostgreSQL; SQLite serialises writers anyway): an index transaction locks the
document rows it rewrites, then reads the catalog, so two indexers of one product (say a
ProductChanged and a StockChanged handler) run one after the other and the later one writes
the later state. Then it locks vocabulary rows in `term` order and suggestion rows in
(kind, key) order: one global order, so concurrent indexers cannot deadlock.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from tqdm import tqdm

from circlemart.catalog import selectors as catalog
from circlemart.catalog.contracts import CategoryNode
from circlemart.core import cache, clock
from circlemart.search import search_log, segment
from circlemart.search.backends import get_backend
from circlemart.search.contracts import SEARCH_INDEX_GENERATION, IndexChange
from circlemart.search.documents import (
    TEXT_FIELDS,
    VALUE_FIELDS,
    DocumentData,
    SuggestionKey,
    build_document,
    document_latin_terms,
    suggestion_keys,
)
from circlemart.search.models import (
    DocumentTag,
    ProductDocument,
    ReindexState,
    SearchHistory,
    SearchQuery,
    Suggestion,
    Term,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

INDEX_BATCH_SIZE = 500
CHUNK = 500  # ids per IN (…) list
REINDEX_STATE = "products"
INTEGRITY_RETRIES = 3


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _sum(first: IndexChange, second: IndexChange) -> IndexChange:
    return IndexChange(
        indexed=first.indexed + second.indexed,
        unchanged=first.unchanged + second.unchanged,
        removed=first.removed + second.removed,
    )


# --- Indexing --------------------------------------------------------------------------------


def index_products(product_ids: Iterable[int]) -> IndexChange:
    """Bring these products' documents up to date with the catalog: written when on sale,
    removed when off sale or gone."""
    ids = sorted({int(product_id) for product_id in product_ids})
    change = IndexChange(indexed=0, unchanged=0, removed=0)
    for chunk in _chunks(ids, INDEX_BATCH_SIZE):
        change = _sum(change, _index_batch(chunk))
    return change


def stock_values_refresh(product_id: int) -> None:
    """After a stock change, which can change a document only in `in_stock` and `sales_count`
    (units sold are counted in the same commit as the stock that leaves): those two columns
    are updated in place, not the whole document rebuilt. A product that has no document yet,
    or is no longer on sale, is indexed in full."""
    with transaction.atomic():
        # Locked first, as _reindex_locked does: two refreshes of one product cannot write
        # what they read from the catalog in the opposite order.
        query = ProductDocument.objects.filter(product_id=product_id)
        if connection.features.has_select_for_update:
            query = query.select_for_update()
        indexed = query.values_list("in_stock", "sales_count").first()
        values = catalog.product_stock_values(product_id)
        if values is None or not values.is_on_sale or indexed is None:
            # A document to write for the first time, or one to remove: the full path.
            if indexed is not None or (values is not None and values.is_on_sale):
                index_products([product_id])
            return
        if indexed == (values.in_stock, values.sales_count):
            return
        ProductDocument.objects.filter(product_id=product_id).update(
            in_stock=values.in_stock, sales_count=values.sales_count, indexed_at=clock.now()
        )
        get_backend().documents_written([product_id])
        cache.bump(SEARCH_INDEX_GENERATION)


def remove_products(product_ids: Iterable[int]) -> int:
    """Drop these products from the index whatever the catalog says (e.g. a takedown)."""
    ids = sorted({int(product_id) for product_id in product_ids})
    removed = 0
    for chunk in _chunks(ids):
        with transaction.atomic():
            removed += _apply(_lock_documents(chunk), {}).removed
    return removed


def _index_batch(ids: list[int], *, sweep: tuple[int, int] | None = None) -> IndexChange:
    for attempt in range(1, INTEGRITY_RETRIES + 1):
        try:
            with transaction.atomic():
                return _reindex_locked(ids, sweep=sweep)
        except IntegrityError:
            # Another indexer inserted one of these documents first. Its row exists now:
            # the next attempt locks it and rewrites it from the catalog.
            if attempt == INTEGRITY_RETRIES:
                raise
            logger.info("search index batch retried after a concurrent insert")
    raise AssertionError("unreachable")


def _lock_documents(
    ids: list[int], *, sweep: tuple[int, int] | None = None
) -> dict[int, ProductDocument]:
    condition = Q(product_id__in=ids)
    if sweep is not None:  # every document in (low, high]: those not in `ids` are gone
        condition |= Q(product_id__gt=sweep[0], product_id__lte=sweep[1])
    query = ProductDocument.objects.filter(condition).order_by("product_id")
    if connection.features.has_select_for_update:
        query = query.select_for_update()
    return {document.product_id: document for document in query}


def _reindex_locked(ids: list[int], *, sweep: tuple[int, int] | None) -> IndexChange:
    old = _lock_documents(ids, sweep=sweep)
    products = catalog.products_for_index(ids) if ids else []
    # A product's own brand and category names segment as words even before the periodic
    # dictionary refresh has seen them.
    segment.add_words(
        name
        for product in products
        for name in (product.brand_name, *product.category_names)
        if name
    )
    documents = {product.id: build_document(product) for product in products if product.is_on_sale}
    return _apply(old, documents)


def _apply(old: dict[int, ProductDocument], documents: dict[int, DocumentData]) -> IndexChange:
    now = clock.now()
    old_tags: dict[int, set[str]] = defaultdict(set)
    if old:
        for document_id, tag in DocumentTag.objects.filter(document_id__in=list(old)).values_list(
            "document_id", "tag"
        ):
            old_tags[document_id].add(tag)

    created: list[ProductDocument] = []
    text_changed: list[ProductDocument] = []
    value_changed: list[ProductDocument] = []
    retagged: dict[int, tuple[str, ...]] = {}
    unchanged = 0
    term_delta: Counter[str] = Counter()
    displays: dict[str, str] = {}
    suggestion_delta: Counter[SuggestionKey] = Counter()
    suggestion_texts: dict[SuggestionKey, str] = {}

    for product_id, data in documents.items():
        document = old.get(product_id)
        new_terms = data.latin_terms()
        new_suggestions = data.suggestion_keys()
        displays.update({term: data.vocabulary.get(term, term) for term in new_terms})
        suggestion_texts.update(new_suggestions)
        if document is None:
            created.append(data.as_model(indexed_at=now))
            term_delta.update(new_terms)
            suggestion_delta.update(new_suggestions.keys())
            retagged[product_id] = data.tags
            continue
        texts_differ = any(getattr(document, name) != getattr(data, name) for name in TEXT_FIELDS)
        values_differ = any(getattr(document, name) != getattr(data, name) for name in VALUE_FIELDS)
        tags_differ = old_tags.get(product_id, set()) != set(data.tags)
        if not (texts_differ or values_differ or tags_differ):
            unchanged += 1
            continue
        if texts_differ:
            old_terms = document_latin_terms(document)
            term_delta.update(new_terms - old_terms)
            term_delta.subtract(old_terms - new_terms)
        old_suggestions = set(suggestion_keys(document.suggestions))
        suggestion_delta.update(set(new_suggestions) - old_suggestions)
        suggestion_delta.subtract(old_suggestions - set(new_suggestions))
        fresh = data.as_model(indexed_at=now)
        if texts_differ:
            text_changed.append(fresh)
        elif values_differ:
            value_changed.append(fresh)
        if tags_differ:
            retagged[product_id] = data.tags

    removed = [product_id for product_id in old if product_id not in documents]
    for product_id in removed:
        term_delta.subtract(document_latin_terms(old[product_id]))
        suggestion_delta.subtract(suggestion_keys(old[product_id].suggestions).keys())

    if removed:
        ProductDocument.objects.filter(product_id__in=removed).delete()
    if created:
        ProductDocument.objects.bulk_create(created)
    if text_changed:
        ProductDocument.objects.bulk_update(
            text_changed, [*TEXT_FIELDS, *VALUE_FIELDS, "indexed_at"]
        )
    if value_changed:  # not touching text columns keeps the full-text index as it is
        ProductDocument.objects.bulk_update(value_changed, [*VALUE_FIELDS, "indexed_at"])
    if retagged:
        DocumentTag.objects.filter(document_id__in=list(retagged)).delete()
        DocumentTag.objects.bulk_create(
            [
                DocumentTag(document_id=product_id, tag=tag)
                for product_id, tags in retagged.items()
                for tag in tags
            ]
        )
    _apply_term_delta(term_delta, displays)
    _apply_suggestion_delta(suggestion_delta, suggestion_texts)

    backend = get_backend()
    written = [document.product_id for document in (*created, *text_changed, *value_changed)]
    if removed:
        backend.documents_removed(removed)
    if written or retagged:
        backend.documents_written(sorted({*written, *retagged}))
    if removed or written or retagged:
        cache.bump(SEARCH_INDEX_GENERATION)  # cached listings and completions are stale now
    return IndexChange(indexed=len(written), unchanged=unchanged, removed=len(removed))


def _apply_term_delta(delta: Counter[str], displays: dict[str, str]) -> None:
    changes = {term: count for term, count in delta.items() if count}
    if not changes:
        return
    added = sorted(term for term, count in changes.items() if count > 0)
    rows = []
    for term in added:
        display = displays.get(term, term)[:64]
        rows.append(Term(term=term, display=display, length=len(display), doc_frequency=0))
    Term.objects.bulk_create(rows, ignore_conflicts=True)
    if connection.features.has_select_for_update:
        for chunk in _chunks(sorted(changes)):
            list(
                Term.objects.select_for_update()
                .filter(term__in=chunk)
                .order_by("term")
                .values_list("pk", flat=True)
            )
    by_count: dict[int, list[str]] = defaultdict(list)
    for term, count in changes.items():
        by_count[count].append(term)
    for count, terms in by_count.items():
        for chunk in _chunks(sorted(terms)):
            # Clamped at zero: a miscount must not wedge indexing (a --clear rebuild fixes it).
            Term.objects.filter(term__in=chunk).update(
                doc_frequency=Greatest(F("doc_frequency") + count, 0)
            )


def _apply_suggestion_delta(delta: Counter[SuggestionKey], texts: dict[SuggestionKey, str]) -> None:
    changes = {key: count for key, count in delta.items() if count}
    if not changes:
        return
    Suggestion.objects.bulk_create(
        [
            Suggestion(kind=kind, key=key, text=texts.get((kind, key), key))
            for (kind, key), count in sorted(changes.items())
            if count > 0
        ],
        ignore_conflicts=True,
    )
    by_kind_count: dict[tuple[str, int], list[str]] = defaultdict(list)
    for (kind, key), count in changes.items():
        by_kind_count[(kind, count)].append(key)
    if connection.features.has_select_for_update:
        keys_by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, key in changes:
            keys_by_kind[kind].append(key)
        condition = Q()
        for kind, keys in keys_by_kind.items():
            condition |= Q(kind=kind, key__in=keys)
        list(
            Suggestion.objects.select_for_update()
            .filter(condition)
            .order_by("kind", "key")
            .values_list("pk", flat=True)
        )
    for (kind, count), keys in sorted(by_kind_count.items()):
        for chunk in _chunks(sorted(keys)):
            Suggestion.objects.filter(kind=kind, key__in=chunk).update(
                product_count=Greatest(F("product_count") + count, 0)
            )


# --- Category tree and vocabulary -------------------------------------------------------------


def vocabulary_names() -> list[str]:
    """Brand and category names: the segmenter's user dictionary beyond the bundled list."""
    brand_names, category_names = catalog.vocabulary_sources()
    return [*brand_names, *category_names]


def _subtree_ids(nodes: list[CategoryNode], category_id: int) -> set[int]:
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node.id == category_id:
            found: set[int] = set()
            todo = [node]
            while todo:
                current = todo.pop()
                found.add(current.id)
                todo.extend(current.children)
            return found
        stack.extend(node.children)
    return {category_id}


def category_subtree_reindex(category_id: int) -> int:
    """After the category tree changed: new names become dictionary words, and the products
    under the category get their paths and category names rewritten. Returns how many
    products are reindexed now; a subtree larger than SEARCH_INLINE_REINDEX_LIMIT is handed
    to background tasks after commit instead."""
    segment.refresh_vocabulary()
    category_ids = _subtree_ids(catalog.category_tree(), category_id)
    product_ids = list(
        ProductDocument.objects.filter(category_id__in=category_ids)
        .order_by("product_id")
        .values_list("product_id", flat=True)
    )
    limit = int(getattr(settings, "SEARCH_INLINE_REINDEX_LIMIT", 1000))
    if len(product_ids) <= limit:
        index_products(product_ids)
        return len(product_ids)
    from circlemart.search.tasks import index_products_task

    for chunk in _chunks(product_ids, INDEX_BATCH_SIZE):
        transaction.on_commit(partial(index_products_task.delay, chunk), robust=True)
    return 0


# --- Full rebuild ----------------------------------------------------------------------------


def _clear_index() -> None:
    with transaction.atomic():
        DocumentTag.objects.all().delete()
        ProductDocument.objects.all().delete()
        Term.objects.all().delete()
        Suggestion.objects.exclude(kind=Suggestion.Kind.QUERY).update(product_count=0)
        Suggestion.objects.filter(
            product_count=0, search_count=0, boost=0, is_hidden=False
        ).delete()
        cache.bump(SEARCH_INDEX_GENERATION)


def reindex_all(
    *,
    progress: bool = False,
    resume: bool = False,
    batch_size: int = INDEX_BATCH_SIZE,
    clear: bool = False,
) -> int:
    """Rebuild every document from the catalog, in id order and in batches, each batch in
    its own transaction together with the progress row. Interrupted (Ctrl-C, a crash), it
    continues after the last committed batch with `resume=True`. Searches keep working
    throughout unless `clear`, which empties the index first (use it to rebuild counts).
    Returns how many products this run visited."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    state, _created = ReindexState.objects.get_or_create(name=REINDEX_STATE)
    if not (resume and state.started_at and state.finished_at is None):
        if clear:
            _clear_index()
        state.last_product_id, state.indexed_count = 0, 0
        state.started_at, state.finished_at = clock.now(), None
        state.save()
    last = state.last_product_id
    visited = 0
    bar = tqdm(
        total=catalog.product_count(),
        initial=state.indexed_count,
        disable=not progress,
        unit="product",
        desc="reindex",
    )
    try:
        for batch in catalog.product_ids_in_batches(batch_size=batch_size, after_id=last):
            with transaction.atomic():
                _index_batch(batch, sweep=(last, batch[-1]))
                ReindexState.objects.filter(pk=state.pk).update(
                    last_product_id=batch[-1], indexed_count=F("indexed_count") + len(batch)
                )
            last = batch[-1]
            visited += len(batch)
            bar.update(len(batch))
    finally:
        bar.close()
    with transaction.atomic():
        # Documents after the last product belong to products that no longer exist.
        gone = list(
            ProductDocument.objects.filter(product_id__gt=last).values_list("product_id", flat=True)
        )
        if gone:
            _apply(_lock_documents(gone), {})
        Term.objects.filter(doc_frequency=0).delete()
        Suggestion.objects.filter(
            product_count=0, search_count=0, boost=0, is_hidden=False
        ).delete()
        ReindexState.objects.filter(pk=state.pk).update(finished_at=clock.now())
    get_backend().optimise()
    return visited


def reindex_state() -> ReindexState | None:
    return ReindexState.objects.filter(name=REINDEX_STATE).first()


# --- Searches and history --------------------------------------------------------------------


def search_record(*, query: str, user_id: int | None, result_count: int) -> str:
    """Log a search (normalised) now and, for a signed-in user, put it on top of their history
    (the last SEARCH_HISTORY_SIZE distinct queries). A search that found something counts
    towards popular-query suggestions. Returns the normalised query ("" = not recorded).
    Requests use `search_log.search_log_submit`, which batches the same write."""
    entry = search_log.entry_for(query=query, user_id=user_id, result_count=result_count)
    if entry is None:
        return ""
    search_log.write_entries([entry])
    return entry.query


def history_clear(user_id: int) -> int:
    deleted, _ = SearchHistory.objects.filter(user_id=user_id).delete()
    return deleted


def history_remove(*, user_id: int, query: str) -> int:
    """Remove one entry from a user's history (the × beside it)."""
    deleted, _ = SearchHistory.objects.filter(
        user_id=user_id, query=segment.normalise(query)
    ).delete()
    return deleted


def search_log_purge(*, days: int | None = None) -> int:
    """Delete search log rows older than SEARCH_LOG_RETENTION_DAYS (popularity counters in
    suggestions stay)."""
    keep = days if days is not None else int(getattr(settings, "SEARCH_LOG_RETENTION_DAYS", 90))
    cutoff = clock.now() - timedelta(days=keep)
    deleted, _ = SearchQuery.objects.filter(created_at__lt=cutoff).delete()
    return deleted
