"""What search does when the catalog or inventory changes: the index follows within one
relay of the outbox (handlers are idempotent: a document is rebuilt from current state)."""

from __future__ import annotations

from circlemart.catalog import selectors as catalog
from circlemart.catalog.events import CategoryTreeChanged, ProductChanged
from circlemart.core.events import DeliveredEvent, handles
from circlemart.inventory.events import StockChanged
from circlemart.search import services


@handles(ProductChanged)
def reindex_changed_product(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, ProductChanged)
    services.index_products([event.product_id])


@handles(StockChanged)
def reindex_product_of_sku(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, StockChanged)
    product_id = catalog.product_id_for_sku(event.sku_id)
    if product_id is not None:
        services.stock_values_refresh(product_id)


@handles(CategoryTreeChanged)
def reindex_category_subtree(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, CategoryTreeChanged)
    services.category_subtree_reindex(event.category_id)
