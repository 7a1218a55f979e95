"""What the catalog does when events arrive."""

from __future__ import annotations

from circlemart.catalog.events import CategoryTreeChanged
from circlemart.catalog.selectors import forget_category_tree
from circlemart.core.events import DeliveredEvent, handles


@handles(CategoryTreeChanged)
def refresh_category_tree_cache(delivered: DeliveredEvent) -> None:
    forget_category_tree()
