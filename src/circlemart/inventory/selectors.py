"""Stock reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, QuerySet, Sum

from circlemart.inventory.models import Reservation, StockLevel


def available_by_sku(sku_ids: Iterable[int]) -> dict[int, int]:
    rows = StockLevel.objects.filter(sku_id__in=list(sku_ids)).values_list(
        "sku_id", "on_hand", "reserved"
    )
    return {sku_id: on_hand - reserved for sku_id, on_hand, reserved in rows}


def in_stock_sku_ids() -> QuerySet[StockLevel, Any]:
    """A subquery-friendly queryset of SKUs with something left to sell."""
    return StockLevel.objects.filter(on_hand__gt=F("reserved")).values("sku_id")


def reservations_of(reference: str) -> dict[int, tuple[int, str]]:
    """SKU → (quantity, state) of an order's reservations."""
    rows = Reservation.objects.filter(reference=reference).values_list(
        "sku_id", "quantity", "state"
    )
    return {sku_id: (quantity, state) for sku_id, quantity, state in rows}


def stock_of(sku_id: int) -> tuple[int, int]:
    """(on hand, reserved) of one SKU; (0, 0) when it has no stock row."""
    row = StockLevel.objects.filter(sku_id=sku_id).values_list("on_hand", "reserved").first()
    return (row[0], row[1]) if row else (0, 0)


def stock_for_analytics() -> dict[int, tuple[int, int]]:
    """Product id → (units on hand, units available = on hand − reserved) summed over its
    SKUs, for the analytics warehouse snapshot (one grouped query)."""
    rows = (
        StockLevel.objects.values("sku__product_id")
        .annotate(units_on_hand=Sum("on_hand"), units_available=Sum(F("on_hand") - F("reserved")))
        .values_list("sku__product_id", "units_on_hand", "units_available")
    )
    return {product_id: (on_hand, available) for product_id, on_hand, available in rows}


def low_stock(*, threshold: int, limit: int = 10) -> tuple[int, list[tuple[int, int]]]:
    """SKUs whose available stock (on hand minus reserved) is at or below `threshold`: how
    many there are, and the `limit` lowest as (sku id, available)."""
    query = StockLevel.objects.annotate(left=F("on_hand") - F("reserved")).filter(
        left__lte=threshold
    )
    rows = query.order_by("left", "sku_id").values_list("sku_id", "left")[:limit]
    return query.count(), [(sku_id, available) for sku_id, available in rows]
