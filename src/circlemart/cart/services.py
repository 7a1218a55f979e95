"""Cart writes. Quantities are checked against the SKU's per-order limit and current stock;
the database keeps one line per SKU and positive quantities."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.cart.models import Cart, CartItem
from circlemart.catalog import selectors as catalog_selectors
from circlemart.catalog.contracts import SkuForSale
from circlemart.core.errors import Conflict, NotFound
from circlemart.inventory import selectors as inventory_selectors
from circlemart.pricing.services import check_quantity


def new_guest_token() -> str:
    return secrets.token_urlsafe(24)


def cart_ensure(*, user_id: int | None = None, guest_token: str | None = None) -> int:
    """The id of the user's (or guest's) cart, created on first use."""
    if (user_id is None) == (guest_token is None):
        raise ValueError("exactly one of user_id and guest_token")
    lookup = {"user_id": user_id} if user_id is not None else {"guest_token": guest_token}
    existing = Cart.objects.filter(**lookup).values_list("pk", flat=True).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Cart.objects.create(**lookup).pk
    except IntegrityError:  # created by a parallel request a moment ago
        return Cart.objects.get(**lookup).pk


def _sellable_sku(sku_id: int) -> SkuForSale:
    sku = catalog_selectors.skus_for_sale([sku_id]).get(sku_id)
    if sku is None:
        raise NotFound(_("This item does not exist."), code="unknown_sku", field="sku_id")
    if not sku.is_sellable:
        raise Conflict(
            _("“%(title)s” is no longer on sale.") % {"title": sku.title},
            code="unavailable",
            field="sku_id",
        )
    return sku


def _check_stock(sku_id: int, quantity: int) -> None:
    available = inventory_selectors.available_by_sku([sku_id]).get(sku_id, 0)
    if quantity > available:
        raise Conflict(
            _("Only %(available)d left in stock.") % {"available": max(available, 0)}
            if available > 0
            else _("Sold out."),
            code="out_of_stock",
            field="quantity",
            extra={"available": max(available, 0)},
        )


def cart_add(*, cart_id: int, sku_id: int, quantity: int = 1) -> int:
    """Add units of a SKU (to what is already there). Returns the line's new quantity."""
    sku = _sellable_sku(sku_id)
    check_quantity(quantity, limit=sku.max_per_order)
    with transaction.atomic():
        Cart.objects.select_for_update().filter(pk=cart_id).first()  # serialise this cart
        current = (
            CartItem.objects.filter(cart_id=cart_id, sku_id=sku_id)
            .values_list("quantity", flat=True)
            .first()
        )
        wanted = (current or 0) + quantity
        check_quantity(wanted, limit=sku.max_per_order)
        _check_stock(sku_id, wanted)
        if current is None:
            if CartItem.objects.filter(cart_id=cart_id).count() >= settings.CART_MAX_LINES:
                raise Conflict(
                    _("Your cart is full: remove something first."),
                    code="cart_full",
                    field="sku_id",
                )
            CartItem.objects.create(
                cart_id=cart_id, sku_id=sku_id, quantity=wanted, price_when_added=sku.price
            )
        else:
            CartItem.objects.filter(cart_id=cart_id, sku_id=sku_id).update(
                quantity=wanted, is_selected=True
            )
        return wanted


def cart_set_quantity(*, cart_id: int, sku_id: int, quantity: int) -> None:
    if quantity == 0:
        cart_remove(cart_id=cart_id, sku_ids=[sku_id])
        return
    sku = _sellable_sku(sku_id)
    check_quantity(quantity, limit=sku.max_per_order)
    _check_stock(sku_id, quantity)
    if not CartItem.objects.filter(cart_id=cart_id, sku_id=sku_id).update(quantity=quantity):
        raise NotFound(_("This item is not in your cart."), code="not_in_cart", field="sku_id")


def cart_remove(*, cart_id: int, sku_ids: Iterable[int]) -> int:
    deleted, _unused = CartItem.objects.filter(cart_id=cart_id, sku_id__in=list(sku_ids)).delete()
    return deleted


def cart_select(*, cart_id: int, sku_ids: Iterable[int] | None, selected: bool) -> int:
    """Tick or untick lines for checkout (all lines when `sku_ids` is None)."""
    items = CartItem.objects.filter(cart_id=cart_id)
    if sku_ids is not None:
        items = items.filter(sku_id__in=list(sku_ids))
    return items.update(is_selected=selected)


def cart_remove_ordered(*, cart_id: int, quantities: dict[int, int]) -> None:
    """After checkout: take the ordered units out of the cart (lines left at zero go)."""
    for sku_id, quantity in quantities.items():
        CartItem.objects.filter(cart_id=cart_id, sku_id=sku_id, quantity__lte=quantity).delete()
        CartItem.objects.filter(cart_id=cart_id, sku_id=sku_id, quantity__gt=quantity).update(
            quantity=F("quantity") - quantity
        )


def cart_merge(*, guest_token: str, user_id: int) -> int:
    """Sign-in: the guest's lines join the user's cart (quantities added, capped at the SKU's
    per-order limit); the guest cart is deleted. Returns how many lines were merged."""
    with transaction.atomic():
        guest = Cart.objects.select_for_update().filter(guest_token=guest_token).first()
        if guest is None:
            return 0
        target_id = cart_ensure(user_id=user_id)
        guest_items = list(guest.items.all())
        limits = {
            sku.sku_id: sku.max_per_order
            for sku in catalog_selectors.skus_for_sale(item.sku_id for item in guest_items).values()
        }
        existing = {item.sku_id: item for item in CartItem.objects.filter(cart_id=target_id)}
        for item in guest_items:
            limit = limits.get(item.sku_id, item.quantity)
            mine = existing.get(item.sku_id)
            if mine is None:
                CartItem.objects.create(
                    cart_id=target_id,
                    sku_id=item.sku_id,
                    quantity=min(item.quantity, limit),
                    is_selected=item.is_selected,
                    price_when_added=item.price_when_added,
                )
            else:
                mine.quantity = min(mine.quantity + item.quantity, max(limit, mine.quantity))
                mine.save(update_fields=["quantity"])
        guest.delete()
        return len(guest_items)
