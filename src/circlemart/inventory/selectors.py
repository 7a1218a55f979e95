"""Stock reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, QuerySet

from circlemart.inventory.models import StockLevel


def available_by_sku(sku_ids: Iterable[int]) -> dict[int, int]:
    rows = StockLevel.objects.filter(sku_id__in=list(sku_ids)).values_list(
        "sku_id", "on_hand", "reserved"
    )
    return {sku_id: on_hand - reserved for sku_id, on_hand, reserved in rows}


def in_stock_sku_ids() -> QuerySet[StockLevel, Any]:
    """A subquery-friendly queryset of SKUs with something left to sell."""
    return StockLevel.objects.filter(on_hand__gt=F("reserved")).values("sku_id")
