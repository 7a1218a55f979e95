"""Export: the catalogue in the import format, streamed product by product."""

from __future__ import annotations

import csv
from typing import TextIO

from django.db.models import F, Prefetch
from django.utils.translation import gettext as _

from circlemart.catalog.csv_io.format import COLUMNS, TEXT_COLUMNS, Progress, formula_safe
from circlemart.catalog.models import Category, Product, Sku, Tag
from circlemart.core.errors import NotFound
from circlemart.core.money import Money


def export_catalog(
    stream: TextIO, *, category_slug: str | None = None, progress: Progress | None = None
) -> int:
    """Write every product (of a category subtree) in the import format; returns rows written.

    Only active SKUs are written: they are what the shop sells, and an import leaves the
    others alone. Open `stream` with newline="" (the writer ends lines with CRLF, like Excel).
    """
    products = Product.objects.select_related("category", "brand").order_by("code")
    if category_slug is not None:
        category = Category.objects.filter(slug=category_slug).first()
        if category is None:
            raise NotFound(
                _("No category has the slug “%(slug)s”.") % {"slug": category_slug},
                field="category",
            )
        products = products.filter(category__path__startswith=category.path)
    products = products.prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name")),
        Prefetch(
            "skus",
            queryset=Sku.objects.filter(is_active=True)
            .annotate(on_hand=F("stock__on_hand"))
            .order_by("position", "id"),
        ),
    )
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    if progress:
        progress.start("export", products.count())
    written = 0
    for product in products.iterator(chunk_size=500):
        product_cells = {
            "product_code": product.code,
            "title": product.title,
            "title_en": product.title_en,
            "subtitle": product.subtitle,
            "category": product.category.slug,
            "brand": product.brand.slug if product.brand else "",
            "tags": "|".join(tag.name for tag in product.tags.all()),
            "status": product.status,
            "description_html": product.description_html,
        }
        for sku in product.skus.all():
            cells = {
                **product_cells,
                "sku_code": sku.code,
                "options": ";".join(f"{name}={value}" for name, value in sku.options.items()),
                "price": _major(sku.price, product.currency),
                "original_price": _major(sku.original_price, product.currency),
                "stock": str(getattr(sku, "on_hand", None) or 0),
                "max_per_order": str(sku.max_per_order),
            }
            writer.writerow(
                formula_safe(cells[name]) if name in TEXT_COLUMNS else cells[name]
                for name in COLUMNS
            )
            written += 1
        if progress:
            progress.advance(1)
    return written


def _major(amount: int | None, currency: str) -> str:
    return "" if amount is None else str(Money(amount, currency).to_decimal())
