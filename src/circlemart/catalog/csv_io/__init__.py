"""Catalog CSV import and export (docs/catalog-csv.md): one row per SKU; a file is checked whole
before anything is written, then applied through the catalog services in one transaction."""

from circlemart.catalog.csv_io.exporting import export_catalog
from circlemart.catalog.csv_io.format import (
    COLUMNS,
    MAX_BYTES,
    MAX_ERRORS,
    MAX_ROWS,
    ImportReport,
    Progress,
    RowError,
)
from circlemart.catalog.csv_io.importing import import_catalog

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ERRORS",
    "MAX_ROWS",
    "ImportReport",
    "Progress",
    "RowError",
    "export_catalog",
    "import_catalog",
]
