"""One CSV row as typed product and SKU fields, with every problem it has."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from circlemart.catalog import services
from circlemart.catalog.csv_io.format import CURRENCY, PRODUCT_COLUMNS, cell_value
from circlemart.catalog.models import Product
from circlemart.core.errors import ValidationFailed
from circlemart.core.money import Money, minor_unit_exponent
from circlemart.core.text import clean_plain_text

INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
_AMOUNT = re.compile(r"(\d+)(?:\.(\d+))?")
_INTEGER = re.compile(r"-?\d+")


@dataclass(frozen=True, slots=True)
class ProductFields:
    code: str
    title: str
    title_en: str
    subtitle: str
    category_id: int
    brand_id: int | None
    tags: tuple[str, ...]  # cleaned, unique, sorted
    status: str
    description_html: str  # as written; the services sanitise it


@dataclass(frozen=True, slots=True)
class SkuFields:
    code: str
    options: dict[str, str]
    options_key: str
    price: int
    original_price: int | None
    stock: int
    max_per_order: int


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    product: ProductFields
    sku: SkuFields


class RowParser:
    """Turns the cells of one row into typed fields, collecting every problem."""

    def __init__(
        self,
        values: dict[str, str],
        categories: dict[str, int | None],
        brands: dict[str, int | None],
    ) -> None:
        self.values = values
        self.categories, self.brands = categories, brands
        self.errors: list[tuple[str, str]] = []

    def fail(self, column: str, message: str) -> None:
        self.errors.append((column, message))

    def text(self, column: str, *, max_length: int, required: bool = False) -> str:
        try:
            return clean_plain_text(
                cell_value(self.values, column),
                field=column,
                max_length=max_length,
                min_length=1 if required else 0,
            )
        except ValidationFailed as error:
            self.fail(column, str(error.message))
            return ""

    def amount(self, column: str, *, required: bool) -> int | None:
        value = cell_value(self.values, column)
        if not value:
            if required:
                self.fail(column, _("This field is required."))
            return None
        match = _AMOUNT.fullmatch(value)
        if match is None:
            self.fail(
                column,
                _("“%(value)s” is not an amount: write yuan with up to 2 decimals, e.g. 199.00.")
                % {"value": value},
            )
            return None
        if len(match.group(2) or "") > minor_unit_exponent(CURRENCY):
            self.fail(column, _("“%(value)s” has more than 2 decimals.") % {"value": value})
            return None
        amount = Money.from_major(value, CURRENCY).amount
        if amount <= 0:
            self.fail(column, _("The amount must be more than 0."))
        elif amount > BIGINT_MAX:
            self.fail(column, _("“%(value)s” is too large.") % {"value": value})
        else:
            return amount
        return None

    def integer(self, column: str, *, minimum: int, default: int | None = None) -> int | None:
        value = cell_value(self.values, column)
        if not value and default is not None:
            return default
        if not value:
            self.fail(column, _("This field is required."))
        elif _INTEGER.fullmatch(value) is None:
            self.fail(column, _("“%(value)s” is not a whole number.") % {"value": value})
        elif int(value) < minimum:
            self.fail(
                column,
                _("Stock cannot be negative.")
                if column == "stock"
                else _("Must be at least %(minimum)d.") % {"minimum": minimum},
            )
        elif int(value) > INT_MAX:
            self.fail(column, _("“%(value)s” is too large.") % {"value": value})
        else:
            return int(value)
        return None

    def slug(self, column: str, known: dict[str, int | None], message: str) -> int | None:
        value = cell_value(self.values, column)
        found = known.get(value)
        if value and found is None:
            self.fail(column, message % {"slug": value})
        return found

    def tags(self) -> tuple[str, ...]:
        names = set()
        for raw in cell_value(self.values, "tags").split("|"):
            try:
                name = clean_plain_text(raw, field="tags", max_length=40, name_like=True)
            except ValidationFailed as error:
                self.fail("tags", f"“{raw.strip()}”: {error.message}")
                continue
            if name:
                names.add(name)
        return tuple(sorted(names))

    def options(self) -> dict[str, str]:
        options: dict[str, str] = {}
        cell = cell_value(self.values, "options")
        for part in filter(None, (piece.strip() for piece in cell.split(";"))):
            name, equals, value = (piece.strip() for piece in part.partition("="))
            if not (equals and name and value) or "=" in value:
                self.fail(
                    "options",
                    _("“%(part)s” is not name=value; write options like 颜色=黑色;尺码=M.")
                    % {"part": part},
                )
            elif name in options:
                self.fail("options", _("The option “%(name)s” is given twice.") % {"name": name})
            else:
                options[name] = value
        if len(services.options_key(options)) > 300:
            self.fail("options", _("The options are too long."))
        return options

    def parse(self, line: int) -> Row | None:
        product_code = self.text("product_code", max_length=40, required=True)
        title = self.text("title", max_length=120, required=True)
        title_en = self.text("title_en", max_length=160)
        subtitle = self.text("subtitle", max_length=200)
        if not cell_value(self.values, "category"):
            self.fail("category", _("This field is required."))
        category_id = self.slug(
            "category", self.categories, _("No category has the slug “%(slug)s”.")
        )
        brand_id = self.slug("brand", self.brands, _("No brand has the slug “%(slug)s”."))
        tags = self.tags()
        status = cell_value(self.values, "status")
        if not status:
            self.fail("status", _("This field is required."))
        elif status not in Product.Status.values:
            self.fail(
                "status",
                _("Unknown status “%(value)s”: use draft, on_sale or off_shelf.")
                % {"value": status},
            )
        sku_code = self.text("sku_code", max_length=60, required=True)
        options = self.options()
        price = self.amount("price", required=True)
        original_price = self.amount("original_price", required=False)
        if price is not None and original_price is not None and original_price < price:
            self.fail("original_price", _("The original price cannot be below the price."))
        stock = self.integer("stock", minimum=0)
        max_per_order = self.integer("max_per_order", minimum=1, default=99)
        if self.errors or category_id is None or price is None or stock is None:
            return None
        return Row(
            line=line,
            product=ProductFields(
                code=product_code,
                title=title,
                title_en=title_en,
                subtitle=subtitle,
                category_id=category_id,
                brand_id=brand_id,
                tags=tags,
                status=status,
                description_html=cell_value(self.values, "description_html"),
            ),
            sku=SkuFields(
                code=sku_code,
                options=options,
                options_key=services.options_key(options),
                price=price,
                original_price=original_price,
                stock=stock,
                max_per_order=max_per_order or 99,
            ),
        )


def product_fingerprint(values: dict[str, str]) -> tuple[int, ...]:
    """The product columns of a row in normal form, hashed: rows of a product must agree."""
    tags = "|".join(sorted({tag.strip() for tag in cell_value(values, "tags").split("|")} - {""}))
    return tuple(
        hash(tags if column == "tags" else cell_value(values, column)) for column in PRODUCT_COLUMNS
    )
