"""Cursor (keyset) pagination: stable under inserts, no OFFSET scans.

A cursor is the ordering values of the last row seen, signed so callers cannot forge one.
API endpoints take `cursor: PageCursor = None, limit: PageLimit = None`, so the bounds are
checked and documented in one place.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from django.conf import settings
from django.core import signing
from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from ninja import Query

from circlemart.core.errors import ValidationFailed

M = TypeVar("M", bound=Model)
_SALT = "circlemart.pagination"
# Far above any cursor we sign (a few ordering values and a signature).
CURSOR_MAX_LENGTH = 512

PageLimit = Annotated[
    int | None,
    Query(
        None,
        ge=1,
        le=settings.API_PAGE_SIZE_MAX,
        description=f"Page size (default {settings.API_PAGE_SIZE_DEFAULT}).",
    ),
]
PageCursor = Annotated[
    str | None,
    Query(
        None,
        max_length=CURSOR_MAX_LENGTH,
        description="`next_cursor` of the previous page; leave out for the first page.",
    ),
]


@dataclass(frozen=True)
class CursorPage(Generic[M]):
    items: list[M]
    next_cursor: str | None


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "dt" in value:
        return parse_datetime(value["dt"])
    return value


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([_encode_value(value) for value in values], separators=(",", ":"))
    signed = signing.Signer(salt=_SALT).sign(raw)
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, width: int) -> list[Any]:
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise ValidationFailed(_("Invalid cursor."), field="cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        signed = base64.urlsafe_b64decode(padded.encode()).decode()
        values = json.loads(signing.Signer(salt=_SALT).unsign(signed))
    except (ValueError, signing.BadSignature, UnicodeDecodeError) as exc:
        raise ValidationFailed(_("Invalid cursor."), field="cursor") from exc
    if not isinstance(values, list) or len(values) != width:
        raise ValidationFailed(_("Invalid cursor."), field="cursor")
    return [_decode_value(value) for value in values]


def _after(ordering: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after `values` in `ordering` (a lexicographic keyset condition)."""
    condition = Q()
    for position, term in enumerate(ordering):
        field = term.lstrip("-")
        lookup = "lt" if term.startswith("-") else "gt"
        step = Q(**{f"{field}__{lookup}": values[position]})
        for earlier_position in range(position):
            earlier = ordering[earlier_position].lstrip("-")
            step &= Q(**{earlier: values[earlier_position]})
        condition |= step
    return condition


def paginate(
    queryset: QuerySet[M], *, ordering: tuple[str, ...], cursor: str | None, limit: int
) -> CursorPage[M]:
    """`ordering` must end in a unique field (normally "-id" or "id") to be a total order."""
    if not ordering or ordering[-1].lstrip("-") not in {"id", "pk"}:
        raise ValueError("ordering must end with id or pk to be total")
    if limit < 1:
        raise ValidationFailed(_("Page size must be at least 1."), field="limit")
    if cursor:
        queryset = queryset.filter(_after(ordering, decode_cursor(cursor, width=len(ordering))))
    rows = list(queryset.order_by(*ordering)[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, term.lstrip("-")) for term in ordering])
    return CursorPage(items=rows, next_cursor=next_cursor)


def page_size(limit: int | None) -> int:
    """The requested page size, defaulted and bounded; over the maximum is a 400 on `limit`."""
    if limit is None:
        return int(settings.API_PAGE_SIZE_DEFAULT)
    if limit < 1 or limit > settings.API_PAGE_SIZE_MAX:
        raise ValidationFailed(
            _("limit must be between 1 and %(max)d.") % {"max": settings.API_PAGE_SIZE_MAX},
            field="limit",
        )
    return limit
