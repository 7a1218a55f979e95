"""Import: check the whole file, then (unless a dry run) apply it in one transaction."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, TextIO

from django.db import DataError, IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from circlemart.catalog import services
from circlemart.catalog.csv_io.checking import Plan, Stop
from circlemart.catalog.csv_io.format import (
    COLUMNS,
    CURRENCY,
    MAX_BYTES,
    MAX_ERRORS,
    MAX_ROWS,
    ImportReport,
    Progress,
    RowError,
)
from circlemart.catalog.csv_io.reading import Reader, Source, TooLarge, TooManyRows
from circlemart.catalog.csv_io.rows import BIGINT_MAX, Row, RowParser
from circlemart.core.errors import DomainError
from circlemart.inventory import services as inventory

CHUNK_ROWS = 1_000  # rows checked against the database per round of queries


def import_catalog(
    stream: TextIO | BinaryIO,
    *,
    dry_run: bool,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    max_errors: int = MAX_ERRORS,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the whole CSV; unless it is a dry run or anything is wrong, apply it atomically.

    Bytes are UTF-8 (a BOM is fine); a text stream should be opened with newline="".
    """
    source = Source(stream)
    plan = Plan(max_errors)
    try:
        rows = _check(source, plan, max_bytes=max_bytes, max_rows=max_rows, progress=progress)
        report = plan.report(dry_run=dry_run, rows=rows)
        if plan.errors or dry_run:
            return report
        _apply(source, plan, rows=rows, progress=progress)
        if plan.errors:
            return plan.report(dry_run=False, rows=rows)
        return dataclasses.replace(report, applied=True)
    finally:
        source.close()


def _check(
    source: Source, plan: Plan, *, max_bytes: int, max_rows: int, progress: Progress | None
) -> int:
    size = source.size()
    if size is not None and size > max_bytes:
        plan.errors.append(RowError(1, "", _too_large(max_bytes)))
        return 0
    if progress:
        progress.start("check", size)
    with source.lines() as lines:
        reader = Reader(lines, max_bytes=max_bytes, max_rows=max_rows)
        reported = 0
        try:
            with _reading_errors(plan, reader):
                positions = plan.check_header(reader.header())
                chunk: list[tuple[int, list[str]]] = []
                for record in reader.records():
                    chunk.append(record)
                    if len(chunk) == CHUNK_ROWS:
                        plan.check_chunk(chunk, positions)
                        chunk = []
                        if progress:
                            progress.advance(reader.bytes_read - reported)
                            reported = reader.bytes_read
                plan.check_chunk(chunk, positions)
        except Stop:
            pass
        if progress:
            progress.advance(reader.bytes_read - reported)
        return reader.rows


@contextmanager
def _reading_errors(plan: Plan, reader: Reader) -> Iterator[None]:
    """File-level problems end the check with one error on the line where they showed."""
    try:
        yield
    except TooLarge:
        plan.errors.append(RowError(reader.line, "", _too_large(reader.max_bytes)))
    except TooManyRows:
        message = _("The file has more than %(limit)d rows; split it into smaller files.")
        plan.errors.append(RowError(reader.line, "", message % {"limit": reader.max_rows}))
    except UnicodeDecodeError:
        message = _("The file is not UTF-8 text; save it as “CSV UTF-8”.")
        plan.errors.append(RowError(reader.line, "", message))
    except csv.Error as error:
        message = _("This line cannot be read as CSV: %(problem)s.") % {"problem": error}
        plan.errors.append(RowError(reader.line, "", message))


def _too_large(limit: int) -> str:
    return _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}


def _apply(source: Source, plan: Plan, *, rows: int, progress: Progress | None) -> None:
    if progress:
        progress.start("write", rows)
    run: list[Row] = []
    try:
        with transaction.atomic(), source.lines() as lines:
            reader = Reader(lines, max_bytes=BIGINT_MAX, max_rows=BIGINT_MAX)
            positions = {name.strip(): index for index, name in enumerate(reader.header() or [])}
            for line, cells in reader.records():
                if len(cells) != len(positions):
                    raise _FileChanged(line)
                values = {name: cells[positions[name]] for name in COLUMNS}
                row = RowParser(values, plan.categories, plan.brands).parse(line)
                if row is None or row.product.code not in plan.products:
                    raise _FileChanged(line)
                if run and run[0].product.code != row.product.code:
                    _apply_product(run, plan)
                    if progress:
                        progress.advance(len(run))
                    run = []
                run.append(row)
            if reader.rows != rows:
                raise _FileChanged(reader.line)
            if run:
                _apply_product(run, plan)
                if progress:
                    progress.advance(len(run))
    except _FileChanged as changed:
        plan.errors.append(
            RowError(changed.line, "", _("The file changed while it was being imported."))
        )
    except DomainError as error:
        column = _column_of(error.field)
        plan.errors.append(RowError(run[0].line if run else 1, column, str(error.message)))
    except (IntegrityError, DataError) as error:
        message = _("The database refused the change: %(problem)s") % {"problem": error}
        plan.errors.append(RowError(run[0].line if run else 1, "", message))


class _FileChanged(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _column_of(service_field: str | None) -> str:
    """A service's error field ("skus[2].price", "title") as the CSV column it came from."""
    name = (service_field or "").rsplit(".", 1)[-1]
    if name == "code":
        return "sku_code" if "skus[" in (service_field or "") else "product_code"
    return name if name in COLUMNS else ""


def _sku_input(row: Row) -> services.SkuInput:
    sku = row.sku
    return services.SkuInput(
        code=sku.code,
        price=sku.price,
        options=sku.options,
        original_price=sku.original_price,
        stock=sku.stock,
        max_per_order=sku.max_per_order,
    )


def _apply_product(run: list[Row], plan: Plan) -> None:
    """The rows of one product that stand together in the file (usually all of them)."""
    product = run[0].product
    product_plan = plan.products[product.code]
    if product_plan.product_id is None:
        created = services.product_create(
            data=services.ProductInput(
                code=product.code,
                title=product.title,
                title_en=product.title_en,
                subtitle=product.subtitle,
                category_id=product.category_id,
                brand_id=product.brand_id,
                description_html=product.description_html,
                tags=list(product.tags),
                status=product.status,
                currency=CURRENCY,
                skus=[_sku_input(row) for row in run],
            )
        )
        product_plan.product_id = created.pk
        return
    product_id = product_plan.product_id
    if product_plan.changes:
        services.product_update(product_id=product_id, **product_plan.changes)
        product_plan.changes = {}
    if product_plan.new_status:
        services.product_set_status(product_id=product_id, status=product_plan.new_status)
        product_plan.new_status = None
    to_write = [_sku_input(row) for row in run if row.sku.code in plan.skus_to_write]
    if to_write:
        services.sku_upsert_many(product_id=product_id, skus=to_write)
    for row in run:
        sku_id = plan.stock_to_set.get(row.sku.code)
        if sku_id is not None:
            inventory.stock_set(sku_id=sku_id, on_hand=row.sku.stock)
