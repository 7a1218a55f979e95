"""Cart reads: the lines with today's prices, stock and whether each can be checked out."""

from __future__ import annotations

from django.conf import settings

from circlemart.cart.contracts import CartLine, CartView
from circlemart.cart.models import Cart, CartItem
from circlemart.catalog import selectors as catalog_selectors
from circlemart.inventory import selectors as inventory_selectors


def cart_id_for(*, user_id: int | None = None, guest_token: str | None = None) -> int | None:
    if user_id is not None:
        return Cart.objects.filter(user_id=user_id).values_list("pk", flat=True).first()
    if guest_token:
        return Cart.objects.filter(guest_token=guest_token).values_list("pk", flat=True).first()
    return None


def cart_view(cart_id: int | None) -> CartView:
    """Three queries: items, SKUs with their products, stock."""
    if cart_id is None:
        return CartView(cart_id=None, currency=settings.DEFAULT_CURRENCY, lines=[])
    items = list(CartItem.objects.filter(cart_id=cart_id).order_by("-added_at", "-id"))
    skus = catalog_selectors.skus_for_sale(item.sku_id for item in items)
    stock = inventory_selectors.available_by_sku(item.sku_id for item in items)
    lines = []
    for item in items:
        sku = skus.get(item.sku_id)
        if sku is None:
            continue
        lines.append(
            CartLine(
                sku_id=item.sku_id,
                product_id=sku.product_id,
                title=sku.title,
                title_en=sku.title_en,
                options=sku.options,
                cover=sku.cover,
                quantity=item.quantity,
                is_selected=item.is_selected,
                unit_price=sku.price,
                price_when_added=item.price_when_added,
                available=max(stock.get(item.sku_id, 0), 0),
                max_per_order=sku.max_per_order,
                is_sellable=sku.is_sellable,
            )
        )
    currency = next(iter(skus.values())).currency if skus else settings.DEFAULT_CURRENCY
    return CartView(cart_id=cart_id, currency=currency, lines=lines)


def cart_count(cart_id: int | None) -> int:
    if cart_id is None:
        return 0
    return sum(CartItem.objects.filter(cart_id=cart_id).values_list("quantity", flat=True))
