"""PostgreSQL: a weighted tsvector over the pre-segmented columns, ranked by ts_rank_cd, and
pg_trgm for substring matches on the title.

`search_vector` is a stored generated column, so PostgreSQL recomputes it in the statement
that writes the row. The text configuration is 'simple' (lower-casing only): the terms are
already segmented and stemmed by `search.segment`, the same way for documents and queries.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q

from circlemart.search.backends.base import DOCUMENTS, SqlSearchBackend, SqlSource

VECTOR_INDEX = "search_doc_vector"
TITLE_TRIGRAM_INDEX = "search_doc_title_trgm"
# Weights for D, C, B, A: subtitle + characters, tags + options, brand + category, title.
RANK_WEIGHTS = "{0.05, 0.3, 0.6, 1.0}"


def _vector(columns: str, weight: str) -> str:
    return f"setweight(to_tsvector('simple'::regconfig, {columns}), '{weight}')"


VECTOR_EXPRESSION = " || ".join(
    (
        _vector("title_terms", "A"),
        _vector("brand_terms || ' ' || category_terms", "B"),
        _vector("tag_terms || ' ' || option_terms", "C"),
        _vector("subtitle_terms || ' ' || char_terms", "D"),
    )
)


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PostgresBackend(SqlSearchBackend):
    name = "postgres_fts"

    def text_source(self, terms: tuple[str, ...]) -> SqlSource:
        # plainto_tsquery reads no operators: the terms are ANDed as plain words.
        return SqlSource(
            joins="CROSS JOIN plainto_tsquery('simple'::regconfig, %s) AS tsq",
            join_params=(" ".join(terms),),
            where="d.search_vector @@ tsq",
            # Normalisation 1 divides by 1 + log(document length): concise titles first.
            # float8, not ts_rank_cd's float4: a cursor carries the score through JSON, and
            # only a double survives that round trip exactly.
            score=(
                f"CAST(ts_rank_cd('{RANK_WEIGHTS}'::float4[], d.search_vector, tsq, 1) "
                "AS DOUBLE PRECISION)"
            ),
        )

    def partial_source(self, needle: str) -> SqlSource:
        # Answered by the gin_trgm_ops index on title.
        return SqlSource(where="d.title ILIKE %s", where_params=(f"%{like_escape(needle)}%",))

    def prefix_condition(self, column: str, prefix: str) -> tuple[str, list[Any]]:
        # A varchar_pattern_ops index answers LIKE 'prefix%' whatever the collation.
        return f"{column} LIKE %s", [like_escape(prefix) + "%"]

    def prefix_filter(self, field_name: str, prefix: str) -> Q:
        return Q(**{f"{field_name}__startswith": prefix})

    def install(self, db: BaseDatabaseWrapper) -> None:
        with db.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(
                f"ALTER TABLE {DOCUMENTS} ADD COLUMN IF NOT EXISTS search_vector tsvector "
                f"GENERATED ALWAYS AS ({VECTOR_EXPRESSION}) STORED"
            )
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {VECTOR_INDEX} ON {DOCUMENTS} "
                "USING GIN (search_vector) WITH (fastupdate = off)"
            )
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {TITLE_TRIGRAM_INDEX} ON {DOCUMENTS} "
                "USING GIN (title gin_trgm_ops) WITH (fastupdate = off)"
            )
            # Reads beat writes here: without a pending list every search uses the index
            # as it is, instead of scanning megabytes of unmerged entries after a reindex.
            for index in (VECTOR_INDEX, TITLE_TRIGRAM_INDEX):
                cursor.execute(f"ALTER INDEX {index} SET (fastupdate = off)")

    def uninstall(self, db: BaseDatabaseWrapper) -> None:
        # The extension stays: other apps may use it, and dropping it needs more rights.
        with db.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {TITLE_TRIGRAM_INDEX}")
            cursor.execute(f"DROP INDEX IF EXISTS {VECTOR_INDEX}")
            cursor.execute(f"ALTER TABLE {DOCUMENTS} DROP COLUMN IF EXISTS search_vector")

    def rebuild(self, db: BaseDatabaseWrapper) -> None:
        """Nothing to rebuild: the generated column is always current."""

    def schema_problems(self, db: BaseDatabaseWrapper) -> list[str]:
        problems = []
        with db.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            if cursor.fetchone() is None:
                problems.append("missing PostgreSQL extension pg_trgm")
            cursor.execute(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s "
                "AND column_name = 'search_vector'",
                [DOCUMENTS],
            )
            if cursor.fetchone() is None:
                problems.append(f"missing column {DOCUMENTS}.search_vector")
            cursor.execute(
                "SELECT indexname FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename = %s",
                [DOCUMENTS],
            )
            indexes = {name for (name,) in cursor.fetchall()}
        problems.extend(
            f"missing index {name}"
            for name in (VECTOR_INDEX, TITLE_TRIGRAM_INDEX)
            if name not in indexes
        )
        return problems

    def optimise(self) -> None:
        tables = (DOCUMENTS, "search_documenttag", "search_term", "search_suggestion")
        with connection.cursor() as cursor:
            for index in (VECTOR_INDEX, TITLE_TRIGRAM_INDEX):  # merge any pending entries
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
            # VACUUM sets the visibility map, so totals and facets while browsing become
            # index-only scans of search_doc_filters; it cannot run inside a transaction.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            for table in tables:
                cursor.execute(f"{command} {table}")
