"""The product page's SKU matrix (option names and values → one row per combination, with
price in yuan, original price, stock, purchase limit and code) and the description editor's
configuration. catalog/static/catalog/sku_matrix.js draws and edits the matrix; the form posts
it as JSON, parsed and checked here, and services.product_sku_matrix_apply writes it."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from circlemart.catalog.models import Sku
from circlemart.catalog.services import SkuInput
from circlemart.core.admin_widgets import minor_to_major_text, parse_major
from circlemart.inventory import selectors as inventory_selectors

MAX_OPTIONS = 3
MAX_ROWS = 200

# The rich-text description: the formatting the storefront keeps (services.DESCRIPTION_TAGS).
DESCRIPTION_EDITOR: dict[str, Any] = {
    "extensions": {
        "Bold": True,
        "Italic": True,
        "Underline": True,
        "Heading": {"levels": [3, 4]},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Blockquote": True,
        "HardBreak": True,
        "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
        "Table": True,
        "TableRow": True,
        "TableHeader": True,
        "TableCell": True,
        "History": True,
        "HTML": True,
    }
}


def sku_matrix_initial(product_id: int) -> str:
    """The product's SKUs as the matrix JSON: options in first-seen order, one row per SKU
    (inactive ones are left out: saving the matrix deactivates what it does not list)."""
    skus = list(
        Sku.objects.filter(product_id=product_id, is_active=True).order_by("position", "pk")
    )
    names: list[str] = []
    values: dict[str, list[str]] = {}
    for sku in skus:
        for name, value in (sku.options or {}).items():
            if name not in values:
                names.append(name)
                values[name] = []
            if str(value) not in values[name]:
                values[name].append(str(value))
    rows = []
    for sku in skus:
        on_hand, _reserved = inventory_selectors.stock_of(sku.pk)
        rows.append(
            {
                "id": sku.pk,
                "options": {str(k): str(v) for k, v in (sku.options or {}).items()},
                "code": sku.code,
                "price": minor_to_major_text(sku.price),
                "original_price": (
                    "" if sku.original_price is None else minor_to_major_text(sku.original_price)
                ),
                "stock": str(on_hand),
                "max_per_order": str(sku.max_per_order),
            }
        )
    return json.dumps(
        {"options": [{"name": name, "values": values[name]} for name in names], "rows": rows},
        ensure_ascii=False,
    )


class SkuMatrixWidget(forms.Widget):
    template_name = "admin/catalog/sku_matrix.html"

    class Media:
        js = ("catalog/sku_matrix.js",)
        css = {"all": ("admin_office/office.css",)}

    def format_value(self, value: Any) -> str:
        if isinstance(value, list):  # a re-rendered bound form keeps what was posted
            return json.dumps(value, ensure_ascii=False)
        return str(value or "")


def _row_error(number: int, message: Any) -> ValidationError:
    return ValidationError(
        _("SKU row %(row)d: %(problem)s") % {"row": number, "problem": message}, code="invalid"
    )


def _whole_number(text: Any, *, number: int, label: Any, low: int) -> int:
    try:
        value = int(str("" if text is None else text).strip() or "0")
    except ValueError as exc:
        raise _row_error(number, _("%(field)s must be a whole number.") % {"field": label}) from exc
    if value < low:
        raise _row_error(
            number, _("%(field)s must be at least %(low)d.") % {"field": label, "low": low}
        )
    return value


class SkuMatrixField(forms.Field):
    """The matrix JSON in, a list of catalog SkuInput out (prices converted yuan → fen)."""

    widget = SkuMatrixWidget

    def to_python(self, value: Any) -> list[SkuInput]:
        if not value:
            raise ValidationError(_("Add at least one SKU."), code="required")
        try:
            data = json.loads(value)
            rows = data["rows"]
            if not isinstance(rows, list):
                raise TypeError
        except (ValueError, TypeError, KeyError) as exc:
            raise ValidationError(_("The SKU matrix could not be read."), code="invalid") from exc
        if not rows:
            raise ValidationError(_("Add at least one SKU."), code="required")
        if len(rows) > MAX_ROWS:
            raise ValidationError(
                _("At most %(count)d SKUs per product.") % {"count": MAX_ROWS}, code="too_many"
            )
        skus: list[SkuInput] = []
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                raise ValidationError(_("The SKU matrix could not be read."), code="invalid")
            options = row.get("options") or {}
            if not isinstance(options, dict) or len(options) > MAX_OPTIONS:
                raise _row_error(number, _("at most %(count)d options.") % {"count": MAX_OPTIONS})
            code = str(row.get("code") or "").strip()
            if not code:
                raise _row_error(number, _("enter a SKU code."))
            try:
                price = parse_major(str(row.get("price") or ""))
                original_text = str(row.get("original_price") or "").strip()
                original = parse_major(original_text) if original_text else None
            except ValidationError as error:
                raise _row_error(number, error.messages[0]) from error
            if price <= 0:
                raise _row_error(number, _("the price must be above zero."))
            if original is not None and original < price:
                raise _row_error(number, _("the original price cannot be below the price."))
            skus.append(
                SkuInput(
                    code=code,
                    price=price,
                    options={str(k).strip(): str(v).strip() for k, v in options.items()},
                    original_price=original,
                    stock=_whole_number(row.get("stock"), number=number, label=_("Stock"), low=0),
                    max_per_order=_whole_number(
                        row.get("max_per_order") or 99,
                        number=number,
                        label=_("Purchase limit"),
                        low=1,
                    ),
                )
            )
        return skus
