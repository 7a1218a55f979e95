"""Presentation helpers for shopper pages: money in the reader's locale, localised names."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.translation import get_language

from circlemart.core.money import Money, babel_locale

register = template.Library()


@register.filter
def money(amount: int | None, currency: str = "CNY") -> str:
    """{{ product.price_min|money:product.currency }} → "¥199.00"."""
    if amount is None:
        return ""
    return Money(int(amount), currency or "CNY").format(babel_locale(get_language()))


@register.filter
def localized(item: Any, field: str = "name") -> str:
    """The English variant of a bilingual field when the page is English and it exists."""
    language = get_language() or ""
    if language.startswith("en"):
        english = getattr(item, f"{field}_en", "") or ""
        if english:
            return str(english)
    return str(getattr(item, field, ""))


@register.filter
def to_json(value: Any) -> str:
    """JSON for a data-* attribute (the template's autoescaping makes it attribute-safe)."""
    return json.dumps(value, ensure_ascii=False)
