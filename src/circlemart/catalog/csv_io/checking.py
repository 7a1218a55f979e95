"""Checking a whole file before anything is written: rows, their agreement, the catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from circlemart.catalog import services
from circlemart.catalog.csv_io.format import (
    COLUMNS,
    CURRENCY,
    PRODUCT_COLUMNS,
    ImportReport,
    RowError,
    cell_value,
)
from circlemart.catalog.csv_io.rows import Row, RowParser, product_fingerprint
from circlemart.catalog.models import Brand, Category, Product, Sku


class Stop(Exception):
    """The file cannot be read further; the error is already recorded."""


@dataclass(slots=True)
class ProductPlan:
    first_line: int
    fingerprint: tuple[int, ...]
    product_id: int | None  # None until a new product is created
    changes: dict[str, object] = field(default_factory=dict)  # for product_update
    new_status: str | None = None
    # options key → (SKU code, line; 0 = a SKU already in the catalogue)
    options: dict[str, tuple[str, int]] = field(default_factory=dict)


_UPDATABLE = ("title", "title_en", "subtitle", "category_id", "brand_id", "description_html")


@dataclass(slots=True)
class _CatalogProduct:
    id: int
    code: str
    currency: str
    status: str
    fields: dict[str, object]  # what product_update may change, as stored
    tags: set[str] = field(default_factory=set)
    options: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _CatalogSku:
    id: int
    product_code: str
    options_key: str
    price: int
    original_price: int | None
    max_per_order: int
    on_hand: int | None
    reserved: int | None


class Plan:
    """Everything learnt by checking the file; little more than codes, so it scales."""

    def __init__(self, max_errors: int) -> None:
        self.max_errors = max_errors
        self.errors: list[RowError] = []
        self.categories: dict[str, int | None] = {}
        self.brands: dict[str, int | None] = {}
        self.products: dict[str, ProductPlan] = {}
        self.sku_lines: dict[str, int] = {}
        self.skus_to_write: set[str] = set()  # new, or price / limit changed
        self.stock_to_set: dict[str, int] = {}  # SKU code → id, counted stock changed
        self.skus_created = 0
        self.skus_updated = 0

    def fail(self, line: int, column: str, message: str) -> None:
        self.errors.append(RowError(line, column, message))
        if len(self.errors) >= self.max_errors:
            self.errors.append(
                RowError(
                    line,
                    "",
                    _("Stopped checking after %(count)d errors.") % {"count": self.max_errors},
                )
            )
            raise Stop

    def check_header(self, header: list[str] | None) -> dict[str, int]:
        if header is None:
            self.fail(1, "", _("The file is empty; its first line must be the header."))
            raise Stop
        names = [name.strip() for name in header]
        for name in COLUMNS:
            if name not in names:
                self.fail(1, name, _("The header lacks this column."))
        for position, name in enumerate(names):
            if name not in COLUMNS:
                self.fail(
                    1,
                    name,
                    _("Unknown column; the columns are: %(columns)s.")
                    % {"columns": ", ".join(COLUMNS)},
                )
            elif name in names[:position]:
                self.fail(1, name, _("This column appears twice in the header."))
        if self.errors:
            raise Stop
        return {name: names.index(name) for name in COLUMNS}

    def check_chunk(self, chunk: list[tuple[int, list[str]]], positions: dict[str, int]) -> None:
        rows = [
            (line, {name: cells[index] for name, index in positions.items()})
            for line, cells in chunk
            if len(cells) == len(positions)
        ]
        self._learn_slugs(rows)
        catalog_products = self._catalog_products(rows)
        catalog_skus = self._catalog_skus(rows)
        by_line = dict(rows)
        for line, cells in chunk:
            values = by_line.get(line)
            if values is None:
                self.fail(
                    line,
                    "",
                    _("This row has %(found)d values but the header has %(expected)d columns.")
                    % {"found": len(cells), "expected": len(positions)},
                )
                continue
            parser = RowParser(values, self.categories, self.brands)
            row = parser.parse(line)
            failed = {column for column, _message in parser.errors}
            for column, message in parser.errors:
                self.fail(line, column, message)
            self._check_product_columns(line, values, failed, catalog_products)
            if row is not None:
                self._check_sku(row, catalog_skus.get(row.sku.code))

    def _learn_slugs(self, rows: list[tuple[int, dict[str, str]]]) -> None:
        for column, known, model in (
            ("category", self.categories, Category),
            ("brand", self.brands, Brand),
        ):
            wanted = {cell_value(values, column) for _line, values in rows} - set(known) - {""}
            found = dict(model.objects.filter(slug__in=wanted).values_list("slug", "id"))
            known.update({slug: found.get(slug) for slug in wanted})

    def _catalog_products(
        self, rows: list[tuple[int, dict[str, str]]]
    ) -> dict[str, _CatalogProduct]:
        wanted = {cell_value(values, "product_code") for _line, values in rows} - set(self.products)
        by_id = {
            values["id"]: _CatalogProduct(
                id=values["id"],
                code=values["code"],
                currency=values["currency"],
                status=values["status"],
                fields={name: values[name] for name in _UPDATABLE},
            )
            for values in Product.objects.filter(code__in=wanted).values(
                "id", "code", "currency", "status", *_UPDATABLE
            )
        }
        tagged = Product.tags.through.objects.filter(product_id__in=by_id)
        for product_id, name in tagged.values_list("product_id", "tag__name"):
            by_id[product_id].tags.add(name)
        skus = Sku.objects.filter(product_id__in=by_id).values_list(
            "product_id", "options_key", "code"
        )
        for product_id, key, code in skus:
            by_id[product_id].options[key] = (code, 0)
        return {product.code: product for product in by_id.values()}

    def _catalog_skus(self, rows: list[tuple[int, dict[str, str]]]) -> dict[str, _CatalogSku]:
        wanted = {cell_value(values, "sku_code") for _line, values in rows}
        # The counted stock is read through the SKU's reverse relation (no inventory models).
        query = Sku.objects.filter(code__in=wanted).values_list(
            "code",
            "id",
            "product__code",
            "options_key",
            "price",
            "original_price",
            "max_per_order",
            "stock__on_hand",
            "stock__reserved",
        )
        return {
            code: _CatalogSku(sku_id, product, key, price, original, limit, on_hand, reserved)
            for code, sku_id, product, key, price, original, limit, on_hand, reserved in query
        }

    def _check_product_columns(
        self,
        line: int,
        values: dict[str, str],
        failed: set[str],
        catalog: dict[str, _CatalogProduct],
    ) -> None:
        code = cell_value(values, "product_code")
        if not code or "product_code" in failed:
            return
        fingerprint = product_fingerprint(values)
        plan = self.products.get(code)
        if plan is not None:
            for column, mine, first in zip(
                PRODUCT_COLUMNS, fingerprint, plan.fingerprint, strict=True
            ):
                if mine != first and column not in failed:
                    self.fail(
                        line,
                        column,
                        _(
                            "Differs from line %(line)d, the first row of product “%(code)s”; "
                            "every row of a product repeats the same product columns."
                        )
                        % {"line": plan.first_line, "code": code},
                    )
            return
        existing = catalog.get(code)
        plan = ProductPlan(line, fingerprint, existing.id if existing else None)
        self.products[code] = plan
        if existing is None:
            return
        plan.options = existing.options
        if existing.currency != CURRENCY:
            self.fail(
                line,
                "price",
                _("Product “%(code)s” is priced in %(currency)s; this file format is for CNY.")
                % {"code": code, "currency": existing.currency},
            )
        if failed & set(PRODUCT_COLUMNS):
            return
        parser = RowParser(values, self.categories, self.brands)
        wanted: dict[str, object] = {
            "title": parser.text("title", max_length=120),
            "title_en": parser.text("title_en", max_length=160),
            "subtitle": parser.text("subtitle", max_length=200),
            "category_id": self.categories.get(cell_value(values, "category")),
            "brand_id": self.brands.get(cell_value(values, "brand")),
            "description_html": services.sanitize_description(
                cell_value(values, "description_html")
            ),
        }
        plan.changes = {
            name: value for name, value in wanted.items() if existing.fields[name] != value
        }
        tags = parser.tags()
        if set(tags) != existing.tags:
            plan.changes["tags"] = list(tags)
        if cell_value(values, "status") != existing.status:
            plan.new_status = cell_value(values, "status")

    def _check_sku(self, row: Row, catalog: _CatalogSku | None) -> None:
        sku, line, product_code = row.sku, row.line, row.product.code
        first = self.sku_lines.setdefault(sku.code, line)
        if first != line:
            self.fail(
                line,
                "sku_code",
                _("The SKU code “%(code)s” already appears on line %(line)d.")
                % {"code": sku.code, "line": first},
            )
            return
        if catalog is not None and catalog.product_code != product_code:
            self.fail(
                line,
                "sku_code",
                _("The SKU code “%(code)s” belongs to product “%(product)s”.")
                % {"code": sku.code, "product": catalog.product_code},
            )
            return
        if catalog is not None and catalog.options_key != sku.options_key:
            self.fail(
                line,
                "options",
                _(
                    "SKU “%(code)s” has the options “%(options)s”; an import cannot change a "
                    "SKU's options (orders refer to them). Add a new SKU instead."
                )
                % {"code": sku.code, "options": catalog.options_key.replace("|", ";")},
            )
            return
        plan = self.products.get(product_code)
        if plan is None:  # the product columns of this row are at fault, already reported
            return
        owner = plan.options.get(sku.options_key)
        if owner is not None and owner != (sku.code, 0):
            owner_code, owner_line = owner
            self.fail(
                line,
                "options",
                _("Product “%(product)s” already has these options on line %(line)d.")
                % {"product": product_code, "line": owner_line}
                if owner_line
                else _("Product “%(product)s” already has a SKU with these options: “%(code)s”.")
                % {"product": product_code, "code": owner_code},
            )
            return
        plan.options[sku.options_key] = (sku.code, line)
        if catalog is None:
            self.skus_to_write.add(sku.code)
            self.skus_created += 1
            return
        if catalog.reserved is not None and sku.stock < catalog.reserved:
            self.fail(
                line,
                "stock",
                _("Open orders have reserved %(reserved)d; stock cannot go below that.")
                % {"reserved": catalog.reserved},
            )
            return
        priced = (sku.price, sku.original_price, sku.max_per_order)
        if priced != (catalog.price, catalog.original_price, catalog.max_per_order):
            self.skus_to_write.add(sku.code)
        if sku.stock != catalog.on_hand:
            self.stock_to_set[sku.code] = catalog.id
        if sku.code in self.skus_to_write or sku.code in self.stock_to_set:
            self.skus_updated += 1

    def report(self, *, dry_run: bool, rows: int) -> ImportReport:
        """What the checked file does; the counts are 0 when it has errors (it does nothing)."""
        if self.errors:
            return ImportReport(False, dry_run, 0, 0, 0, 0, list(self.errors), rows)
        return ImportReport(
            applied=False,
            dry_run=dry_run,
            products_created=sum(plan.product_id is None for plan in self.products.values()),
            products_updated=sum(
                bool(plan.changes or plan.new_status) for plan in self.products.values()
            ),
            skus_created=self.skus_created,
            skus_updated=self.skus_updated,
            errors=[],
            rows=rows,
        )
