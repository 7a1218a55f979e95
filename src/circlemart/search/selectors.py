"""Search reads: product search and category browsing, completions, hot searches, history.

Every product in the index is on sale and public, so results do not depend on the viewer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import BigIntegerField, Case, Count, F, Q, When
from django.db.models.functions import Length
from django.utils.translation import gettext as _
from rapidfuzz.distance import OSA

from circlemart.catalog import selectors as catalog
from circlemart.catalog.contracts import CategoryNode
from circlemart.core import clock
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.core.pagination import decode_cursor, encode_cursor, page_size
from circlemart.search import errors, search_log, segment
from circlemart.search.backends import get_backend
from circlemart.search.backends.base import (
    BackendQuery,
    PartialMatch,
    SearchBackend,
    TextMatch,
    sort_key_count,
    sort_key_kinds,
)
from circlemart.search.contracts import (
    BrandFacet,
    CategoryFacet,
    HistoryEntry,
    HotSearch,
    PriceBucket,
    SearchFacets,
    SearchFilters,
    SearchResult,
    SearchSort,
    SuggestionView,
    TagFacet,
)
from circlemart.search.models import ProductDocument, SearchHistory, SearchQuery, Suggestion, Term

MAX_BRAND_FILTERS = 50
MAX_TAG_FILTERS = 10
MAX_CORRECTIONS = 3
PARTIAL_MIN_CHARS = 3  # trigram indexes need three characters
CURSOR_MAX_CHARS = 1024
DEFAULT_PRICE_EDGES = (5000, 10000, 20000, 50000, 100000, 200000, 500000)  # fen
# A cursor remembers how page one matched: all terms, a title substring, or browsing.
MODE_TERMS, MODE_PARTIAL, MODE_BROWSE = "t", "p", "b"


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed(_("Invalid cursor."), field="cursor")


# --- Validation ------------------------------------------------------------------------------


def _check_sort(sort: str, *, has_query: bool) -> SearchSort:
    if not sort:
        return SearchSort.RELEVANCE if has_query else SearchSort.SALES
    try:
        chosen = SearchSort(sort)
    except ValueError:
        raise ValidationFailed(
            _("Unknown sort order."), code=errors.INVALID_SORT, field="sort"
        ) from None
    return SearchSort.SALES if chosen is SearchSort.RELEVANCE and not has_query else chosen


def _check_price(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationFailed(
            _("A price must be zero or more, in fen."), code=errors.INVALID_PRICE, field=field
        )
    return value


def _check_filters(filters: SearchFilters) -> SearchFilters:
    price_min = _check_price(filters.price_min, "price_min")
    price_max = _check_price(filters.price_max, "price_max")
    if price_min is not None and price_max is not None and price_min > price_max:
        raise ValidationFailed(
            _("The highest price cannot be below the lowest."),
            code=errors.INVALID_PRICE,
            field="price_max",
        )
    category_id = filters.category_id
    if category_id is not None and (
        isinstance(category_id, bool) or not isinstance(category_id, int) or category_id < 1
    ):
        raise ValidationFailed(_("Choose a valid category."), field="category")
    brand_ids = tuple(sorted(set(filters.brand_ids)))
    if len(brand_ids) > MAX_BRAND_FILTERS or any(
        isinstance(brand_id, bool) or not isinstance(brand_id, int) or brand_id < 1
        for brand_id in brand_ids
    ):
        raise ValidationFailed(
            _("Choose at most %(count)d valid brands.") % {"count": MAX_BRAND_FILTERS},
            field="brand_ids",
        )
    if not all(isinstance(tag, str) for tag in filters.tags):
        raise ValidationFailed(_("Choose valid tags."), field="tags")
    tags = tuple(sorted({tag.strip() for tag in filters.tags if tag.strip()}))
    if len(tags) > MAX_TAG_FILTERS or any(len(tag) > 40 for tag in tags):
        raise ValidationFailed(
            _("Choose at most %(count)d tags.") % {"count": MAX_TAG_FILTERS}, field="tags"
        )
    return SearchFilters(
        category_id=category_id,
        brand_ids=brand_ids,
        price_min=price_min,
        price_max=price_max,
        in_stock=bool(filters.in_stock),
        tags=tags,
    )


@dataclass(frozen=True)
class _Tree:
    by_id: dict[int, CategoryNode]
    by_path: dict[str, CategoryNode]

    @classmethod
    def current(cls) -> _Tree:
        """From the catalog's cached tree: usually no query at all."""
        by_id: dict[int, CategoryNode] = {}
        stack = list(catalog.category_tree())
        while stack:
            node = stack.pop()
            by_id[node.id] = node
            stack.extend(node.children)
        return cls(by_id=by_id, by_path={node.path: node for node in by_id.values()})


def _fingerprint(text: str, sort: SearchSort, filters: SearchFilters) -> str:
    """Ties a cursor to the search it came from: another query or filter refuses it."""
    raw = json.dumps(
        [
            text,
            sort.value,
            filters.category_id,
            list(filters.brand_ids),
            filters.price_min,
            filters.price_max,
            filters.in_stock,
            list(filters.tags),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _read_cursor(cursor: str, *, sort: SearchSort, fingerprint: str) -> tuple[str, list[Any]]:
    if len(cursor) > CURSOR_MAX_CHARS:
        raise _invalid_cursor()
    values = decode_cursor(cursor, width=3 + sort_key_count(sort))
    tag, signed_fingerprint, mode, *keys = values
    if (
        tag != sort.value
        or signed_fingerprint != fingerprint
        or mode not in {MODE_TERMS, MODE_PARTIAL, MODE_BROWSE}
    ):
        raise _invalid_cursor()
    checked: list[Any] = []
    for value, kind in zip(keys, sort_key_kinds(sort), strict=True):
        if isinstance(value, bool):
            raise _invalid_cursor()
        if kind == "float" and isinstance(value, int | float):
            checked.append(float(value))
        elif (kind == "int" and isinstance(value, int)) or (
            kind == "datetime" and isinstance(value, datetime) and value.tzinfo is not None
        ):
            checked.append(value)
        else:
            raise _invalid_cursor()
    return mode, checked


# --- Typo correction -------------------------------------------------------------------------


def _closest_term(word: str, backend: SearchBackend) -> str | None:
    """The indexed word nearest to `word` (optimal string alignment: a swap of neighbours
    is one edit): within one edit up to five letters, two beyond; ties go to the word in
    more documents."""
    max_edits = 1 if len(word) <= 5 else 2
    stemmed = segment.stem(word)
    best: tuple[int, int, str] | None = None
    for candidate in backend.correction_candidates(word, max_edits=max_edits):
        distance = min(
            OSA.distance(word, candidate.display, score_cutoff=max_edits),
            OSA.distance(stemmed, candidate.term, score_cutoff=max_edits),
        )
        if distance > max_edits:
            continue
        key = (distance, -candidate.doc_frequency, candidate.display)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def _correct(
    analysed: segment.AnalysedQuery, backend: SearchBackend
) -> tuple[segment.AnalysedQuery, bool]:
    """Replace Latin words that match no indexed term by the closest indexed word."""
    fixable = [(index, word) for index, word in enumerate(analysed.words) if word.correctable]
    if not fixable:
        return analysed, False
    wanted = sorted({term for _index, word in fixable for term in word.terms})
    known = set(
        Term.objects.filter(term__in=wanted, doc_frequency__gt=0).values_list("term", flat=True)
    )
    replacements: dict[int, segment.QueryWord] = {}
    for index, word in fixable:
        if all(term in known for term in word.terms) or len(replacements) >= MAX_CORRECTIONS:
            continue
        fixed = _closest_term(word.text, backend)
        if fixed and fixed != word.text:
            replacements[index] = segment.query_word(fixed)
    if not replacements:
        return analysed, False
    return analysed.replace(replacements), True


# --- Product search --------------------------------------------------------------------------


def product_search(
    *,
    query: str,
    filters: SearchFilters,
    sort: str = "",
    cursor: str | None = None,
    limit: int | None = None,
    viewer_id: int | None = None,
    with_facets: bool = True,
) -> SearchResult:
    """Search (or, with an empty query, browse) the on-sale products.

    Every word must match (Chinese segmented, Latin stemmed); an unknown Latin word is
    replaced by the closest indexed word (`corrected_query`); when still nothing matches,
    titles containing the query are shown (`partial_match`). Without a query this is
    category browsing: indexed SQL over the document table, no full-text work.

    Raises ValidationFailed (field sort, limit, cursor, price_min, price_max, brand_ids,
    tags, category) and NotFound (field category) for an unknown category. `viewer_id`
    is accepted for personalised ranking later; results do not depend on it today.
    Queries: page + summary, plus categories, brands (+ their names) and tags with
    facets, plus one vocabulary lookup when the query has Latin words.
    """
    size = page_size(limit)
    analysed = segment.analyse_query(query)
    has_query = bool(analysed.terms)
    effective_sort = _check_sort(sort, has_query=has_query)
    checked = _check_filters(filters)
    tree = _Tree.current()
    category = None
    if checked.category_id is not None:
        category = tree.by_id.get(checked.category_id)
        if category is None:
            raise NotFound(_("Category not found."), field="category")
    fingerprint = _fingerprint(analysed.text, effective_sort, checked)
    mode = MODE_TERMS if has_query else MODE_BROWSE
    after: list[Any] | None = None
    if cursor:
        mode, after = _read_cursor(cursor, sort=effective_sort, fingerprint=fingerprint)
        if (mode == MODE_BROWSE) == has_query:
            raise _invalid_cursor()

    backend = get_backend()
    searched, corrected = (analysed, False)
    if has_query:
        searched, corrected = _correct(analysed, backend)
    base = BackendQuery(
        match=None,
        sort=effective_sort,
        category_path=category.path if category else None,
        brand_ids=checked.brand_ids,
        price_min=checked.price_min,
        price_max=checked.price_max,
        in_stock=checked.in_stock,
        tags=checked.tags,
    )
    partial = replace(base, match=PartialMatch(searched.text))
    backend_query = {
        MODE_TERMS: replace(base, match=TextMatch(searched.terms)),
        MODE_PARTIAL: partial,
        MODE_BROWSE: base,
    }[mode]
    rows = backend.page(backend_query, after=after, limit=size + 1)
    if (
        not rows
        and cursor is None
        and mode == MODE_TERMS
        and len(searched.text.replace(" ", "")) >= PARTIAL_MIN_CHARS
    ):
        partial_rows = backend.page(partial, after=None, limit=size + 1)
        if partial_rows:
            mode, backend_query, rows = MODE_PARTIAL, partial, partial_rows

    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode_cursor([effective_sort.value, fingerprint, mode, *rows[-1].keys])
    edges = tuple(getattr(settings, "SEARCH_PRICE_BUCKET_EDGES", DEFAULT_PRICE_EDGES))
    summary = backend.summary(backend_query, price_edges=edges)
    facets = (
        _facets(backend, backend_query, summary.in_stock, summary.buckets, edges, tree, category)
        if with_facets
        else None
    )
    return SearchResult(
        product_ids=[row.product_id for row in rows],
        total=summary.total,
        facets=facets,
        next_cursor=next_cursor,
        query=analysed.text,
        corrected_query=searched.text if corrected else None,
        sort=effective_sort,
        partial_match=mode == MODE_PARTIAL,
    )


def _facets(
    backend: SearchBackend,
    query: BackendQuery,
    in_stock: int,
    bucket_counts: tuple[int, ...],
    edges: tuple[int, ...],
    tree: _Tree,
    category: CategoryNode | None,
) -> SearchFacets:
    size = int(getattr(settings, "SEARCH_FACET_SIZE", 20))
    categories = []
    for path, count in backend.category_counts(
        query, parent_path=category.path if category else "", limit=size
    ):
        node = tree.by_path.get(path)
        if node is not None:
            categories.append(
                CategoryFacet(
                    id=node.id, name=node.name, name_en=node.name_en, slug=node.slug, count=count
                )
            )
    brand_counts = backend.brand_counts(query, limit=size)
    views = (
        {brand.id: brand for brand in catalog.brands([b for b, _ in brand_counts])}
        if (brand_counts)
        else {}
    )
    brands = [
        BrandFacet(
            id=brand_id,
            name=views[brand_id].name,
            name_en=views[brand_id].name_en,
            slug=views[brand_id].slug,
            count=count,
        )
        for brand_id, count in brand_counts
        if brand_id in views
    ]
    lows = (0, *edges)
    buckets = [
        PriceBucket(low=low, high=edges[index] if index < len(edges) else None, count=count)
        for index, (low, count) in enumerate(zip(lows, bucket_counts, strict=True))
    ]
    tags = [
        TagFacet(name=name, count=count) for name, count in backend.tag_counts(query, limit=size)
    ]
    return SearchFacets(
        categories=categories,
        brands=brands,
        price_buckets=buckets,
        in_stock_count=in_stock,
        tags=tags,
    )


# --- Suggestions, hot searches, history --------------------------------------------------------


def suggest(prefix: str, limit: int = 8) -> list[SuggestionView]:
    """Completions of `prefix` (Chinese or Latin, any case): titles, brands, categories and
    title keywords of on-sale products, and searches that found something and were made at
    least SEARCH_SUGGEST_MIN_SEARCHES times. One indexed prefix scan."""
    key = segment.normalise(prefix)
    if not key:
        return []
    limit = max(1, min(int(limit), 20))
    min_searches = int(getattr(settings, "SEARCH_SUGGEST_MIN_SEARCHES", 3))
    hidden = Suggestion.objects.filter(is_hidden=True).values("key")
    rows = (
        Suggestion.objects.filter(get_backend().prefix_filter("key", key))
        .filter(
            Q(product_count__gt=0)
            | Q(boost__gt=0)
            | Q(kind=Suggestion.Kind.QUERY, search_count__gte=min_searches)
        )
        .exclude(key__in=hidden)
        .annotate(
            weight=F("boost") + F("product_count") + 3 * F("search_count"),
            key_length=Length("key"),
        )
        .order_by("-weight", "key_length", "key", "kind")
        .values_list("key", "text", "kind")[: limit * 4]
    )
    seen: set[str] = set()
    suggestions = []
    for row_key, text, kind in rows:
        if row_key in seen:
            continue
        seen.add(row_key)
        suggestions.append(SuggestionView(text=text, kind=kind))
        if len(suggestions) == limit:
            break
    return suggestions


def hot_searches(limit: int = 10, days: int = 7) -> list[HotSearch]:
    """The searches most people made in the last `days` that found something. Counted by
    searcher (a signed-in user once, each anonymous search once), at least
    SEARCH_HOT_MIN_SEARCHERS of them; hidden suggestions and number-like queries left out."""
    limit = max(1, min(int(limit), 50))
    days = max(1, min(int(days), 90))
    since = clock.now() - timedelta(days=days)
    searcher = Case(
        When(user_id__isnull=True, then=-F("id")),
        default=F("user_id"),
        output_field=BigIntegerField(),
    )
    minimum = int(getattr(settings, "SEARCH_HOT_MIN_SEARCHERS", 2))
    rows = (
        SearchQuery.objects.filter(created_at__gte=since, result_count__gt=0)
        .exclude(query__in=Suggestion.objects.filter(is_hidden=True).values("key"))
        .exclude(query__regex=r"[0-9]{7,}")
        .values("query")
        .annotate(searchers=Count(searcher, distinct=True))
        .filter(searchers__gte=minimum)
        .order_by("-searchers", "query")[:limit]
    )
    return [HotSearch(query=row["query"], searchers=row["searchers"]) for row in rows]


def search_history(user_id: int, limit: int | None = None) -> list[HistoryEntry]:
    """The user's own recent searches, newest first (including those this process still
    holds in its search log buffer: they are written first)."""
    search_log.search_log_flush_for(user_id)
    size = int(getattr(settings, "SEARCH_HISTORY_SIZE", 20)) if limit is None else limit
    rows = SearchHistory.objects.filter(user_id=user_id).order_by("-searched_at", "-id")[
        : max(1, size)
    ]
    return [HistoryEntry(query=row.query, searched_at=row.searched_at) for row in rows]


def zero_result_searches(limit: int = 20, days: int = 7) -> list[HotSearch]:
    """Back office: what people searched for and did not find (catalog gaps, synonyms to add)."""
    limit = max(1, min(int(limit), 100))
    since = clock.now() - timedelta(days=max(1, min(int(days), 90)))
    rows = (
        SearchQuery.objects.filter(created_at__gte=since, result_count=0)
        .values("query")
        .annotate(searchers=Count("id"))
        .order_by("-searchers", "query")[:limit]
    )
    return [HotSearch(query=row["query"], searchers=row["searchers"]) for row in rows]


def index_size() -> dict[str, int]:
    """Back office: documents, vocabulary terms and visible suggestions."""
    return {
        "documents": ProductDocument.objects.count(),
        "terms": Term.objects.filter(doc_frequency__gt=0).count(),
        "suggestions": Suggestion.objects.filter(is_hidden=False).count(),
    }
