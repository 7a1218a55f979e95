"""Domain events of inventory."""

from __future__ import annotations

from dataclasses import dataclass

from circlemart.core.events import DomainEvent, register_event


@register_event
@dataclass(frozen=True)
class StockChanged(DomainEvent):
    event_type = "inventory.StockChanged"
    aggregate_type = "sku"

    sku_id: int
    available: int

    def aggregate_id(self) -> str:
        return str(self.sku_id)
