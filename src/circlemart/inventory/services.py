"""Stock writes: one conditional UPDATE each, never read-compute-write."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.core import cache as cache_generations
from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.core.events import publish
from circlemart.inventory.events import StockChanged
from circlemart.inventory.models import StockLevel


def _available(sku_id: int) -> int:
    row = StockLevel.objects.filter(sku_id=sku_id).values_list("on_hand", "reserved").first()
    return row[0] - row[1] if row else 0


def _announce(sku_id: int, *, before: int) -> int:
    """Publish StockChanged and drop cached pages that show this SKU's product. Listings only
    show "sold out", so they are dropped only when availability crosses zero."""
    from circlemart.catalog import contracts as catalog_contracts
    from circlemart.catalog import selectors as catalog_selectors  # catalog imports us too

    available = _available(sku_id)
    publish(StockChanged(sku_id=sku_id, available=available))
    product_id = catalog_selectors.product_id_for_sku(sku_id)
    if product_id is not None:
        names = [catalog_contracts.product_generation(product_id)]
        if (before > 0) != (available > 0):
            names.append(catalog_contracts.LISTING_GENERATION)
        cache_generations.bump(*names)
    return available


def stock_set(*, sku_id: int, on_hand: int) -> int:
    """Set the counted stock of a SKU (stocktake, import). Returns what is available."""
    if on_hand < 0:
        raise ValidationFailed(_("Stock cannot be negative."), code="negative_stock", field="stock")
    with transaction.atomic():
        StockLevel.objects.get_or_create(sku_id=sku_id)
        before = _available(sku_id)
        try:
            with transaction.atomic():
                StockLevel.objects.filter(sku_id=sku_id).update(on_hand=on_hand)
        except IntegrityError as exc:
            raise Conflict(
                _("Stock cannot go below what open orders have reserved."),
                code="below_reserved",
                field="stock",
            ) from exc
        return _announce(sku_id, before=before)


def stock_adjust(*, sku_id: int, delta: int) -> int:
    """Add (or with a negative delta take) stock; refused if it would go below reservations."""
    with transaction.atomic():
        changed = StockLevel.objects.filter(
            sku_id=sku_id, on_hand__gte=F("reserved") - delta
        ).update(on_hand=F("on_hand") + delta)
        if not changed:
            raise Conflict(
                _("Not enough stock for this change."), code="insufficient_stock", field="stock"
            )
        return _announce(sku_id, before=_available(sku_id) - delta)


def stock_create_many(levels: dict[int, int]) -> None:
    """Seeding and imports: stock rows for new SKUs, in bulk (no per-row events)."""
    StockLevel.objects.bulk_create(
        [StockLevel(sku_id=sku_id, on_hand=max(on_hand, 0)) for sku_id, on_hand in levels.items()],
        ignore_conflicts=True,
        batch_size=2000,
    )
