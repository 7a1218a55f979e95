"""The search backend interface, and the SQL both database backends share.

A backend answers for the document table (`search.ProductDocument`): one page of ids, the
counts behind facets, typo-correction candidates. Documents are written by the indexer with
the ORM; each database backend keeps its full-text structures in step inside the database
(SQLite triggers, a PostgreSQL generated column), so a document and its index entry are
always committed together. An engine outside the database (OpenSearch) would implement the
same protocol and push documents in `documents_written` / `documents_removed`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q

from circlemart.search.contracts import SearchSort
from circlemart.search.models import Term

DOCUMENTS = "search_productdocument"
TAGS = "search_documenttag"


@dataclass(frozen=True)
class TextMatch:
    """Documents containing every term."""

    terms: tuple[str, ...]


@dataclass(frozen=True)
class PartialMatch:
    """Documents whose title contains `needle` (case-insensitive substring)."""

    needle: str


@dataclass(frozen=True)
class BackendQuery:
    """A validated search: what to match, which filters, which order."""

    match: TextMatch | PartialMatch | None
    sort: SearchSort
    category_path: str | None = None
    brand_ids: tuple[int, ...] = ()
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    product_id: int
    keys: tuple[Any, ...]  # the values of `sort_keys(sort)`: what a cursor resumes after


@dataclass(frozen=True)
class Summary:
    total: int
    in_stock: int  # with every filter but in_stock
    buckets: tuple[int, ...]  # per price bucket, with every filter but the price range


@dataclass(frozen=True)
class TermCandidate:
    term: str
    display: str
    doc_frequency: int


@runtime_checkable
class SearchBackend(Protocol):
    name: str

    def page(self, query: BackendQuery, *, after: Sequence[Any] | None, limit: int) -> list[Row]:
        """Up to `limit` rows in the sort order, strictly after the keys `after`."""
        ...

    def summary(self, query: BackendQuery, *, price_edges: Sequence[int]) -> Summary: ...

    def category_counts(
        self, query: BackendQuery, *, parent_path: str, limit: int
    ) -> list[tuple[str, int]]:
        """(child category path, count) for the children of `parent_path` ("" = roots)."""
        ...

    def brand_counts(self, query: BackendQuery, *, limit: int) -> list[tuple[int, int]]:
        """(brand id, count), ignoring the query's own brand filter."""
        ...

    def tag_counts(self, query: BackendQuery, *, limit: int) -> list[tuple[str, int]]: ...

    def correction_candidates(self, word: str, *, max_edits: int) -> list[TermCandidate]:
        """Indexed Latin terms that may be within `max_edits` of `word`."""
        ...

    def prefix_filter(self, field_name: str, prefix: str) -> Q:
        """An index-friendly `field starts with prefix` condition (case-sensitive)."""
        ...

    def documents_written(self, product_ids: Sequence[int]) -> None: ...

    def documents_removed(self, product_ids: Sequence[int]) -> None: ...

    def install(self, db: BaseDatabaseWrapper) -> None:
        """Create the backend's objects in the database (idempotent)."""
        ...

    def uninstall(self, db: BaseDatabaseWrapper) -> None: ...

    def rebuild(self, db: BaseDatabaseWrapper) -> None:
        """Rebuild the full-text structures from the document table."""
        ...

    def schema_problems(self, db: BaseDatabaseWrapper) -> list[str]: ...

    def optimise(self) -> None:
        """After a bulk rebuild: merge segments, refresh planner statistics."""
        ...


@dataclass(frozen=True)
class SqlSource:
    """A backend's contribution to one query: extra FROM text, a WHERE condition, a score."""

    joins: str = ""
    join_params: tuple[Any, ...] = ()
    where: str = ""
    where_params: tuple[Any, ...] = ()
    score: str | None = None


@dataclass
class _Where:
    parts: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.parts.append(sql)
        self.params.extend(params)

    @property
    def sql(self) -> str:
        return " AND ".join(f"({part})" for part in self.parts) if self.parts else "1 = 1"


def _printable(text: str) -> str:
    return "".join(char for char in text if unicodedata.category(char)[0] != "C").strip()


_SORT_COLUMNS: dict[SearchSort, tuple[tuple[str, ...], bool]] = {
    # (key columns, descending); "score" is the backend's relevance expression. All keys of a
    # sort go the same way, so a cursor is one row-value comparison the indexes can use.
    SearchSort.RELEVANCE: (("score", "d.sales_count", "d.product_id"), True),
    SearchSort.SALES: (("d.sales_count", "d.product_id"), True),
    SearchSort.PRICE_ASC: (("d.price_min", "d.product_id"), False),
    SearchSort.PRICE_DESC: (("d.price_min", "d.product_id"), True),
    SearchSort.NEWEST: (("d.published_at", "d.product_id"), True),
    SearchSort.RATING: (("d.rating_average", "d.sales_count", "d.product_id"), True),
}


def sort_key_count(sort: SearchSort) -> int:
    return len(_SORT_COLUMNS[sort][0])


def sort_key_kinds(sort: SearchSort) -> tuple[str, ...]:
    """The Python type of each key ("float", "int", "datetime"), for checking cursors."""
    kinds = {
        "score": "float",
        "d.rating_average": "float",
        "d.published_at": "datetime",
    }
    return tuple(kinds.get(column, "int") for column in _SORT_COLUMNS[sort][0])


class SqlSearchBackend:
    """Filters, sorting, keyset paging and facets in SQL over the document table; the
    subclasses supply the full-text and substring matching and the schema objects."""

    name = "sql"
    zero_score = "CAST(0 AS DOUBLE PRECISION)"

    # --- hooks ---------------------------------------------------------------------------------

    def text_source(self, terms: tuple[str, ...]) -> SqlSource:
        raise NotImplementedError

    def partial_source(self, needle: str) -> SqlSource:
        raise NotImplementedError

    def prefix_condition(self, column: str, prefix: str) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def prefix_filter(self, field_name: str, prefix: str) -> Q:
        raise NotImplementedError

    # --- query assembly ------------------------------------------------------------------------

    def _source(self, query: BackendQuery) -> SqlSource:
        # Callers pass segmented terms; control characters (NUL ends a C string in SQLite's
        # FTS5 parser and is refused by PostgreSQL) are still dropped here, defensively.
        if isinstance(query.match, TextMatch):
            terms = tuple(term for term in map(_printable, query.match.terms) if term)
            return self.text_source(terms) if terms else SqlSource(where="1 = 0")
        if isinstance(query.match, PartialMatch):
            needle = _printable(query.match.needle)
            return self.partial_source(needle) if needle else SqlSource(where="1 = 0")
        return SqlSource()

    def _price_condition(self, query: BackendQuery) -> tuple[str, list[Any]]:
        parts, params = [], []
        if query.price_min is not None:
            parts.append("d.price_min >= %s")
            params.append(query.price_min)
        if query.price_max is not None:
            parts.append("d.price_min <= %s")
            params.append(query.price_max)
        return (" AND ".join(parts) or "1 = 1"), params

    def _where(
        self,
        query: BackendQuery,
        source: SqlSource,
        *,
        brands: bool = True,
        price: bool = True,
        stock: bool = True,
    ) -> _Where:
        where = _Where()
        if source.where:
            where.add(source.where, source.where_params)
        if query.category_path:
            where.add(*self.prefix_condition("d.category_path", query.category_path))
        if brands and query.brand_ids:
            marks = ", ".join(["%s"] * len(query.brand_ids))
            where.add(f"d.brand_id IN ({marks})", query.brand_ids)
        if price and (query.price_min is not None or query.price_max is not None):
            where.add(*self._price_condition(query))
        if stock and query.in_stock:
            where.add("d.in_stock = %s", [True])
        for tag in query.tags:
            where.add(
                f"EXISTS (SELECT 1 FROM {TAGS} t WHERE t.document_id = d.product_id"  # noqa: S608
                " AND t.tag = %s)",
                [tag],
            )
        return where

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return list(cursor.fetchall())

    # --- SearchBackend -------------------------------------------------------------------------

    def page(self, query: BackendQuery, *, after: Sequence[Any] | None, limit: int) -> list[Row]:
        source = self._source(query)
        columns, descending = _SORT_COLUMNS[query.sort]
        score = source.score or self.zero_score
        keys = [score if column == "score" else column for column in columns]
        where = self._where(query, source)
        if after is not None:
            marks = ", ".join(["%s"] * len(keys))
            where.add(
                f"({', '.join(keys)}) {'<' if descending else '>'} ({marks})",
                [self._adapt(value) for value in after],
            )
        direction = "DESC" if descending else "ASC"
        order = ", ".join(f"{position} {direction}" for position in range(2, len(keys) + 2))
        sql = (
            f"SELECT d.product_id, {', '.join(keys)} FROM {DOCUMENTS} d {source.joins} "  # noqa: S608  (identifiers are ours; values are parameters)
            f"WHERE {where.sql} ORDER BY {order} LIMIT %s"
        )
        rows = self._fetch(sql, [*source.join_params, *where.params, limit])
        return [
            Row(product_id=int(row[0]), keys=tuple(self._read(value) for value in row[1:]))
            for row in rows
        ]

    def summary(self, query: BackendQuery, *, price_edges: Sequence[int]) -> Summary:
        source = self._source(query)
        price_sql, price_params = self._price_condition(query)
        stock_sql, stock_params = ("d.in_stock = %s", [True]) if query.in_stock else ("1 = 1", [])
        columns = [
            f"SUM(CASE WHEN ({price_sql}) AND ({stock_sql}) THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN ({price_sql}) AND d.in_stock = %s THEN 1 ELSE 0 END)",
        ]
        select_params: list[Any] = [*price_params, *stock_params, *price_params, True]
        bounds = [0, *price_edges]
        for index, low in enumerate(bounds):
            high = bounds[index + 1] if index + 1 < len(bounds) else None
            condition = "d.price_min >= %s" + (" AND d.price_min < %s" if high else "")
            columns.append(f"SUM(CASE WHEN ({stock_sql}) AND {condition} THEN 1 ELSE 0 END)")
            select_params.extend([*stock_params, low, *([high] if high else [])])
        where = self._where(query, source, price=False, stock=False)
        sql = (
            f"SELECT {', '.join(columns)} FROM {DOCUMENTS} d {source.joins} "  # noqa: S608
            f"WHERE {where.sql}"
        )
        row = self._fetch(sql, [*select_params, *source.join_params, *where.params])[0]
        counts = [int(value or 0) for value in row]
        return Summary(total=counts[0], in_stock=counts[1], buckets=tuple(counts[2:]))

    def category_counts(
        self, query: BackendQuery, *, parent_path: str, limit: int
    ) -> list[tuple[str, int]]:
        source = self._source(query)
        width = len(parent_path) + 4  # catalog PATH_STEP: four digits per level
        where = self._where(query, source)
        where.add("LENGTH(d.category_path) >= %s", [width])
        sql = (
            f"SELECT SUBSTR(d.category_path, 1, %s), COUNT(*) FROM {DOCUMENTS} d "  # noqa: S608
            f"{source.joins} WHERE {where.sql} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %s"
        )
        rows = self._fetch(sql, [width, *source.join_params, *where.params, limit])
        return [(str(path), int(count)) for path, count in rows]

    def brand_counts(self, query: BackendQuery, *, limit: int) -> list[tuple[int, int]]:
        source = self._source(query)
        where = self._where(query, source, brands=False)
        where.add("d.brand_id IS NOT NULL")
        sql = (
            f"SELECT d.brand_id, COUNT(*) FROM {DOCUMENTS} d {source.joins} "  # noqa: S608
            f"WHERE {where.sql} GROUP BY d.brand_id ORDER BY 2 DESC, 1 LIMIT %s"
        )
        rows = self._fetch(sql, [*source.join_params, *where.params, limit])
        return [(int(brand_id), int(count)) for brand_id, count in rows]

    def tag_counts(self, query: BackendQuery, *, limit: int) -> list[tuple[str, int]]:
        source = self._source(query)
        where = self._where(query, source)
        # Every tag row belongs to an indexed document: unfiltered, the tag index alone counts.
        documents = (
            f"JOIN {DOCUMENTS} d ON d.product_id = tag_row.document_id {source.joins}"
            if where.parts
            else ""
        )
        sql = (
            f"SELECT tag_row.tag, COUNT(*) FROM {TAGS} tag_row {documents} "  # noqa: S608
            f"WHERE {where.sql} GROUP BY tag_row.tag ORDER BY 2 DESC, 1 LIMIT %s"
        )
        rows = self._fetch(sql, [*source.join_params, *where.params, limit])
        return [(str(tag), int(count)) for tag, count in rows]

    def correction_candidates(self, word: str, *, max_edits: int) -> list[TermCandidate]:
        # A length window over an indexed column: the same candidates on every backend, so
        # the same correction; rapidfuzz then scores them in Python.
        rows = Term.objects.filter(
            length__gte=len(word) - max_edits,
            length__lte=len(word) + max_edits,
            doc_frequency__gt=0,
        ).values_list("term", "display", "doc_frequency")
        return [TermCandidate(term, display, frequency) for term, display, frequency in rows]

    def documents_written(self, product_ids: Sequence[int]) -> None:
        """Nothing to do: the database keeps the full-text index in step."""

    def documents_removed(self, product_ids: Sequence[int]) -> None:
        """Nothing to do: the database keeps the full-text index in step."""

    # --- values --------------------------------------------------------------------------------

    @staticmethod
    def _adapt(value: Any) -> Any:
        if isinstance(value, datetime):
            return connection.ops.adapt_datetimefield_value(value)
        return value

    @staticmethod
    def _read(value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:  # SQLite stores UTC, naive
            return value.replace(tzinfo=UTC)
        return value
