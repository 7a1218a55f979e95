"""Stock writes: one conditional UPDATE each, never read-compute-write."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.core import cache as cache_generations
from circlemart.core import clock
from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.core.events import publish
from circlemart.inventory.events import StockChanged
from circlemart.inventory.models import Reservation, StockLevel


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


def stock_reserve(*, reference: str, quantities: Mapping[int, int], expires_at: datetime) -> None:
    """Hold units of each SKU for an order, all or nothing. SKUs are taken in id order (a fixed
    lock order, so two baskets never deadlock); each by one conditional UPDATE that the
    database refuses past what is on hand. Refusal: Conflict "out_of_stock" naming the SKU."""
    if not quantities or any(quantity <= 0 for quantity in quantities.values()):
        raise ValidationFailed(_("Quantity must be at least 1."), code="invalid_quantity")
    with transaction.atomic():
        for sku_id in sorted(quantities):
            quantity = quantities[sku_id]
            before = _available(sku_id)
            taken = StockLevel.objects.filter(
                sku_id=sku_id, on_hand__gte=F("reserved") + quantity
            ).update(reserved=F("reserved") + quantity)
            if not taken:
                left = max(_available(sku_id), 0)  # now, not before: a racer may have won
                raise Conflict(
                    _("Sold out: only %(available)d left.") % {"available": left}
                    if left > 0
                    else _("Sold out."),
                    code="out_of_stock",
                    field="sku",
                    extra={"sku_id": sku_id, "available": left},
                )
            _announce(sku_id, before=before)
        Reservation.objects.bulk_create(
            [
                Reservation(
                    reference=reference,
                    sku_id=sku_id,
                    quantity=quantities[sku_id],
                    expires_at=expires_at,
                )
                for sku_id in sorted(quantities)
            ]
        )


def _settle(reference: str, *, to_state: str) -> dict[int, int]:
    """Move this order's held reservations to `to_state`, each exactly once; returns what moved."""
    settled: dict[int, int] = {}
    held = Reservation.objects.filter(reference=reference, state=Reservation.State.HELD)
    for reservation_id, sku_id, quantity in held.order_by("sku_id").values_list(
        "pk", "sku_id", "quantity"
    ):
        moved = Reservation.objects.filter(pk=reservation_id, state=Reservation.State.HELD).update(
            state=to_state, settled_at=clock.now()
        )
        if moved:
            settled[sku_id] = quantity
    return settled


def reservation_commit(*, reference: str) -> dict[int, int]:
    """The order is paid: its held units leave the shelf (on hand and reserved both drop, so
    what is available does not change and nothing needs announcing)."""
    with transaction.atomic():
        settled = _settle(reference, to_state=Reservation.State.COMMITTED)
        for sku_id, quantity in settled.items():
            StockLevel.objects.filter(sku_id=sku_id).update(
                on_hand=F("on_hand") - quantity, reserved=F("reserved") - quantity
            )
        return settled


def reservation_release(*, reference: str) -> dict[int, int]:
    """The order was cancelled or expired: its held units go back on sale."""
    with transaction.atomic():
        settled = _settle(reference, to_state=Reservation.State.RELEASED)
        for sku_id, quantity in settled.items():
            before = _available(sku_id)
            StockLevel.objects.filter(sku_id=sku_id).update(reserved=F("reserved") - quantity)
            _announce(sku_id, before=before)
        return settled


def stock_restock(*, quantities: Mapping[int, int]) -> None:
    """Returned goods go back on the shelf (after-sales with restock)."""
    with transaction.atomic():
        for sku_id in sorted(quantities):
            if quantities[sku_id] > 0:
                stock_adjust(sku_id=sku_id, delta=quantities[sku_id])
