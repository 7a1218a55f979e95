"""SQLite: FTS5 over the pre-segmented columns, ranked by bm25 with column weights.

Two external-content FTS5 tables read the document table: `search_product_fts` (the term
columns, unicode61 tokens = our space-separated terms) and `search_product_title_trigram`
(the title, trigram tokens, for substring matches). Triggers on the document table update
both in the statement that changes the row, so the index is always in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q

from circlemart.search.backends.base import DOCUMENTS, SqlSearchBackend, SqlSource

FTS = "search_product_fts"
TRIGRAM = "search_product_title_trigram"
# Column order is the bm25 weight order below.
TERM_COLUMNS = (
    "title_terms",
    "brand_terms",
    "category_terms",
    "tag_terms",
    "subtitle_terms",
    "option_terms",
    "char_terms",
)
WEIGHTS = (10.0, 6.0, 4.0, 3.0, 1.5, 1.5, 0.5)
TRIGGERS = (
    "search_doc_fts_insert",
    "search_doc_fts_delete",
    "search_doc_fts_before_update",
    "search_doc_fts_after_update",
)
# The largest code point: `prefix <= value < prefix + TOP` is "starts with" in binary order.
TOP = "\U0010ffff"


def _columns(prefix: str = "") -> str:
    return ", ".join(f"{prefix}{column}" for column in TERM_COLUMNS)


def _schema() -> list[str]:
    watched = ", ".join((*TERM_COLUMNS, "title"))
    insert = (
        f"INSERT INTO {FTS}(rowid, {_columns()}) VALUES (new.product_id, {_columns('new.')}); "  # noqa: S608
        f"INSERT INTO {TRIGRAM}(rowid, title) VALUES (new.product_id, new.title);"
    )
    delete = (
        f"INSERT INTO {FTS}({FTS}, rowid, {_columns()}) "  # noqa: S608
        f"VALUES ('delete', old.product_id, {_columns('old.')}); "
        f"INSERT INTO {TRIGRAM}({TRIGRAM}, rowid, title) "
        f"VALUES ('delete', old.product_id, old.title);"
    )
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5({_columns()}, "
        f"content='{DOCUMENTS}', content_rowid='product_id', tokenize='unicode61')",
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {TRIGRAM} USING fts5(title, "
        f"content='{DOCUMENTS}', content_rowid='product_id', tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[0]} AFTER INSERT ON {DOCUMENTS} "
        f"BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[1]} AFTER DELETE ON {DOCUMENTS} "
        f"BEGIN {delete} END",
        # Only a change of indexed text touches FTS; price, stock and sales updates do not.
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[2]} BEFORE UPDATE OF {watched} "
        f"ON {DOCUMENTS} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[3]} AFTER UPDATE OF {watched} "
        f"ON {DOCUMENTS} BEGIN {insert} END",
    ]


def fts_query(terms: tuple[str, ...]) -> str:
    """Every term as a quoted string: FTS5 reads no operator, column filter or prefix in it."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


class SqliteFtsBackend(SqlSearchBackend):
    name = "sqlite_fts5"

    def text_source(self, terms: tuple[str, ...]) -> SqlSource:
        weights = ", ".join(str(weight) for weight in WEIGHTS)
        return SqlSource(
            joins=f"JOIN {FTS} ON {FTS}.rowid = d.product_id",
            where=f"{FTS} MATCH %s",
            where_params=(fts_query(terms),),
            # bm25 is lower for better matches; negate so every backend sorts "higher first".
            score=f"(-bm25({FTS}, {weights}))",
        )

    def partial_source(self, needle: str) -> SqlSource:
        # The trigram tokenizer answers LIKE '%…%' from its index (needles of 3+ characters).
        return SqlSource(
            where=f"d.product_id IN (SELECT rowid FROM {TRIGRAM} WHERE title LIKE %s)",  # noqa: S608
            where_params=(f"%{needle}%",),
        )

    def prefix_condition(self, column: str, prefix: str) -> tuple[str, list[Any]]:
        return f"{column} >= %s AND {column} < %s", [prefix, prefix + TOP]

    def prefix_filter(self, field_name: str, prefix: str) -> Q:
        return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": prefix + TOP})

    def install(self, db: BaseDatabaseWrapper) -> None:
        with db.cursor() as cursor:
            for statement in _schema():
                cursor.execute(statement)

    def uninstall(self, db: BaseDatabaseWrapper) -> None:
        with db.cursor() as cursor:
            for trigger in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            cursor.execute(f"DROP TABLE IF EXISTS {TRIGRAM}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS}")

    def rebuild(self, db: BaseDatabaseWrapper) -> None:
        with db.cursor() as cursor:
            for table in (FTS, TRIGRAM):
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")  # noqa: S608

    def schema_problems(self, db: BaseDatabaseWrapper) -> list[str]:
        expected = {FTS: "table", TRIGRAM: "table", **dict.fromkeys(TRIGGERS, "trigger")}
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'trigger')"
            )
            present = dict(cursor.fetchall())
        return [
            f"missing SQLite {kind} {name}"
            for name, kind in expected.items()
            if present.get(name) != kind
        ]

    def integrity_problems(self, db: BaseDatabaseWrapper) -> list[str]:
        """Compare each FTS index, token by token and position by position, with one built
        afresh from the document table (tests and operations; reads the whole index)."""
        problems = []
        tables = ((FTS, _columns(), "unicode61"), (TRIGRAM, "title", "trigram"))
        with db.cursor() as cursor:
            for table, columns, tokenizer in tables:
                fresh = f"{table}_check"
                cursor.execute(
                    f"CREATE VIRTUAL TABLE temp.{fresh} USING fts5({columns}, "
                    f"tokenize='{tokenizer}')"
                )
                cursor.execute(
                    f"INSERT INTO temp.{fresh}(rowid, {columns}) "  # noqa: S608
                    f"SELECT product_id, {columns} FROM {DOCUMENTS}"
                )
                for name, schema in ((table, "main"), (fresh, "temp")):
                    cursor.execute(
                        f"CREATE VIRTUAL TABLE temp.{name}_words "
                        f"USING fts5vocab({schema}, {name}, 'instance')"
                    )
                for first, second in ((table, fresh), (fresh, table)):
                    cursor.execute(
                        f"SELECT COUNT(*) FROM (SELECT * FROM temp.{first}_words "  # noqa: S608
                        f"EXCEPT SELECT * FROM temp.{second}_words)"
                    )
                    (count,) = cursor.fetchone()
                    if count:
                        problems.append(f"{count} entries only in {first}")
                for name in (f"{table}_words", f"{fresh}_words", fresh):
                    cursor.execute(f"DROP TABLE temp.{name}")
        return problems

    def optimise(self) -> None:
        with connection.cursor() as cursor:
            for table in (FTS, TRIGRAM):
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")  # noqa: S608
