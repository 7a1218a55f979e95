"""Back-office widgets shared by every app's admin: money entered and shown in yuan.

Amounts live in the database as integer minor units (fen); merchants think in yuan. The form
field converts exactly with Decimal (never floats) and refuses what cannot be a price.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminTextInputWidget

from circlemart.core.money import Money, babel_locale, minor_unit_exponent

DEFAULT_CURRENCY = "CNY"
# Currency signs, thousands separators (ASCII and full-width) and spaces a merchant may type.
_DECORATION = re.compile(r"[¥￥$,，\s]|CN¥|RMB|CNY|元", re.IGNORECASE)


def format_money(amount: int | None, currency: str = DEFAULT_CURRENCY) -> str:
    """`600390` → "¥6,003.90" in the current language; "—" for no amount."""
    if amount is None:
        return "—"
    return Money(int(amount), currency or DEFAULT_CURRENCY).format(babel_locale(get_language()))


def options_text(options: dict[str, Any] | None) -> str:
    """SKU options {"颜色": "红", "尺码": "M"} → "颜色: 红 / 尺码: M" (never JSON escapes)."""
    return " / ".join(f"{name}: {value}" for name, value in (options or {}).items()) or "—"


def minor_to_major_text(amount: int, currency: str = DEFAULT_CURRENCY) -> str:
    """`600390` → "6003.90": the editable form (no grouping, so it parses back unchanged)."""
    exponent = minor_unit_exponent(currency)
    return f"{Decimal(amount).scaleb(-exponent):.{exponent}f}"


def parse_major(text: str, currency: str = DEFAULT_CURRENCY) -> int:
    """ "6,003.9" / "¥6003.90" / "6003.90元" → 600390. Raises ValidationError (with a code)."""
    cleaned = _DECORATION.sub("", text.strip())
    if not cleaned:
        raise ValidationError(_("Enter an amount."), code="required")
    if not re.fullmatch(r"-?\d*(\.\d*)?", cleaned) or cleaned in {".", "-", "-."}:
        raise ValidationError(_("Enter an amount such as 59.90."), code="invalid")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above rules this out
        raise ValidationError(_("Enter an amount such as 59.90."), code="invalid") from exc
    if value < 0:
        raise ValidationError(_("The amount cannot be negative."), code="negative")
    exponent = minor_unit_exponent(currency)
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            _("Use at most %(places)d decimal places.") % {"places": exponent},
            code="too_many_decimals",
        )
    return int(scaled)


class MoneyWidget(UnfoldAdminTextInputWidget):
    """The back office's text box with the currency sign in front; shows fen as "6003.90"."""

    def __init__(self, attrs: dict[str, Any] | None = None, currency: str = DEFAULT_CURRENCY):
        self.currency = currency
        merged = {"inputmode": "decimal", "autocomplete": "off", "class": "cm-money-input pl-9"}
        merged.update(attrs or {})
        super().__init__(attrs=merged)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        # Unfold's prefix mixin consumes attrs["prefix"] on render: set it again each time.
        self.attrs["prefix"] = "¥" if self.currency == "CNY" else self.currency
        return super().get_context(name, value, attrs)

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return minor_to_major_text(value, self.currency)
        return super().format_value(value)


class MoneyField(forms.Field):
    """Yuan in the form, integer fen in `cleaned_data`. `min_value`/`max_value` are fen."""

    widget = MoneyWidget

    def __init__(
        self,
        *,
        currency: str = DEFAULT_CURRENCY,
        min_value: int | None = 0,
        max_value: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.currency = currency
        self.min_value, self.max_value = min_value, max_value
        kwargs.setdefault("widget", MoneyWidget(currency=currency))
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return minor_to_major_text(value, self.currency)
        return value

    def to_python(self, value: Any) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return parse_major(str(value), self.currency)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(
                _("The amount must be at least %(low)s.")
                % {"low": format_money(self.min_value, self.currency)},
                code="min_value",
            )
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(
                _("The amount can be at most %(high)s.")
                % {"high": format_money(self.max_value, self.currency)},
                code="max_value",
            )

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != (None if initial in (None, "") else int(initial))
        except (ValidationError, TypeError, ValueError):
            return True


def money_formfield(db_field: models.Field[Any, Any], **kwargs: Any) -> MoneyField:
    """The MoneyField for an integer model field (label, required, help text kept)."""
    kwargs.pop("widget", None)
    kwargs.pop("form_class", None)
    return MoneyField(
        label=kwargs.pop("label", None) or db_field.verbose_name,
        required=kwargs.pop("required", not db_field.blank),
        help_text=kwargs.pop("help_text", db_field.help_text),
        initial=kwargs.pop("initial", None),
    )


class MoneyAdminMixin:
    """Put before ModelAdmin/InlineModelAdmin; list the money columns in `money_fields`."""

    money_fields: tuple[str, ...] = ()

    def formfield_for_dbfield(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if db_field.name in self.money_fields:
            return money_formfield(db_field)
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


def money_display(
    field: str,
    description: Any,
    *,
    currency: Callable[[Any], str] | str = DEFAULT_CURRENCY,
    ordering: bool = True,
) -> Callable[[Any, Any], str]:
    """A ModelAdmin column/readonly method: `price_shown = money_display("price", _("price"))`."""

    def shown(model_admin: Any, obj: Any) -> str:
        code = currency(obj) if callable(currency) else currency
        return format_money(getattr(obj, field), code)

    shown.__name__ = f"{field}_shown"
    return admin.display(description=description, ordering=field if ordering else None)(shown)


def currency_of(attribute: str = "currency") -> Callable[[Any], str]:
    """The currency read from the row itself (`obj.currency`, or `obj.order.currency`)."""

    def read(obj: Any) -> str:
        value: Any = obj
        for part in attribute.split("."):
            value = getattr(value, part, None)
        return str(value or DEFAULT_CURRENCY)

    return read
