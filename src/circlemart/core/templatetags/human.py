"""Template filters for natural wording in both languages (see core.humanize) and for
marking user or merchant content so that translation checks and browsers leave it alone.

    {% load human %}
    {{ comment.created_at|ago }}          3分钟前 / 3 minutes ago
    {{ session.ends_at|countdown }}       13天 04:05:06 / 13d 04:05:06 (flash.js keeps it ticking)
    {{ coupon.valid_until|days_left }}    剩 13 天 / 13 days left
    {{ template.percent|percent_off }}    9折 / 10% off
    {% blocktrans with name=user.nickname|notranslate %}{{ name }}'s group{% endblocktrans %}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from circlemart.core import humanize

register = template.Library()


@register.filter
def ago(moment: datetime | None) -> str:
    return humanize.relative_time(moment)


@register.filter
def countdown(moment: datetime | None) -> str:
    return humanize.countdown(moment)


@register.filter
def days_left(moment: datetime | None) -> str:
    return humanize.days_left(moment)


@register.filter
def percent_off(percent: int | None) -> str:
    return humanize.percent_off(percent)


@register.filter
def notranslate(value: Any) -> SafeString:
    """User or merchant text inside translated UI text: `<span translate="no">…</span>`,
    escaped; safe to pass into {% blocktrans with %} without changing its msgid."""
    return format_html('<span translate="no">{}</span>', value)


@register.filter
def notranslate_part(text: Any, part: Any) -> SafeString:
    """Escape `text` and mark the first occurrence of `part` (a nickname inside a translated
    sentence built in Python) as content: {{ item.sentence|notranslate_part:actor }}."""
    text, part = str(text), str(part or "")
    if not part or part not in text:
        return format_html("{}", text)
    before, _, after = text.partition(part)
    return format_html('{}<span translate="no">{}</span>{}', before, part, after)


@register.filter
def times(percent: int | None) -> str:
    """A multiplier given in percent, as a number of times: 150 → "1.5", 125 → "1.25"."""
    return f"{int(percent or 0) / 100:g}"
