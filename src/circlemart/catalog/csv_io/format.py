"""The catalog CSV format: its columns, limits and reports (see docs/catalog-csv.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

COLUMNS = (
    "product_code",
    "title",
    "title_en",
    "subtitle",
    "category",
    "brand",
    "tags",
    "status",
    "description_html",
    "sku_code",
    "options",
    "price",
    "original_price",
    "stock",
    "max_per_order",
)
PRODUCT_COLUMNS = COLUMNS[: COLUMNS.index("sku_code")]
# Free text: a leading = + - @ would make a spreadsheet run it as a formula, so exports prefix
# such cells with ' and imports take that ' off again (the round trip stays exact).
TEXT_COLUMNS = frozenset(COLUMNS) - {"price", "original_price", "stock", "max_per_order"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
CURRENCY = "CNY"
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_ERRORS = 1_000


@dataclass(frozen=True)
class RowError:
    line: int  # physical line where the row starts; the header is line 1
    column: str  # "" when the whole row (or file) is at fault
    message: str


@dataclass(frozen=True)
class ImportReport:
    """What was written (or, in a dry run, would be). A file with errors writes nothing."""

    applied: bool
    dry_run: bool
    products_created: int
    products_updated: int
    skus_created: int
    skus_updated: int
    errors: list[RowError]
    rows: int = 0  # SKU rows read


class Progress(Protocol):
    """Progress of a long import or export (the management commands draw it with tqdm)."""

    def start(self, step: str, total: int | None) -> None: ...

    def advance(self, amount: int) -> None: ...


def cell_value(values: dict[str, str], column: str) -> str:
    value = values[column]
    if column in TEXT_COLUMNS and value[:1] == "'" and value[1:2] and value[1] in FORMULA_STARTS:
        value = value[1:]
    return value.strip()


def formula_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value
