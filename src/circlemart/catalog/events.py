"""Domain events of the catalog."""

from __future__ import annotations

from dataclasses import dataclass

from circlemart.core.events import DomainEvent, register_event


@register_event
@dataclass(frozen=True)
class ProductChanged(DomainEvent):
    """Created, edited, repriced, published or taken off the shelf."""

    event_type = "catalog.ProductChanged"
    aggregate_type = "product"

    product_id: int
    change: str  # "created" | "updated" | "status" | "price" | "media"

    def aggregate_id(self) -> str:
        return str(self.product_id)


@register_event
@dataclass(frozen=True)
class CategoryTreeChanged(DomainEvent):
    event_type = "catalog.CategoryTreeChanged"
    aggregate_type = "category_tree"

    category_id: int

    def aggregate_id(self) -> str:
        return "tree"
