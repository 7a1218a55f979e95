"""Cart API: /api/v1/cart. Guests use their session's cart; signed-in callers their own
(a guest cart is merged in on the first call after sign-in)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.utils import check_csrf

from circlemart.cart import selectors, services
from circlemart.cart.contracts import CartView
from circlemart.cart.schemas import CartAddIn, CartLineIn, CartOut, CartSelectIn
from circlemart.cart.session import current_cart_id
from circlemart.core.errors import PermissionDenied

router = Router(tags=["cart"])


def cart_out(view: CartView) -> dict[str, Any]:
    return {
        "currency": view.currency,
        "item_count": view.item_count,
        "selected_subtotal": view.selected_subtotal,
        "lines": [
            {
                **line.__dict__,
                "price_changed": line.price_changed,
                "can_checkout": line.can_checkout,
            }
            for line in view.lines
        ],
    }


def _writable_cart(request: HttpRequest) -> int:
    """Guests write through their session cookie, so their writes need the CSRF token too."""
    if not getattr(request, "token_authenticated", False) and check_csrf(request):
        raise PermissionDenied(
            _("CSRF check failed. Reload the page and try again."), code="csrf_failed"
        )
    cart_id = current_cart_id(request, create=True)
    assert cart_id is not None
    return cart_id


@router.get("", response=CartOut, auth=None, summary="The caller's cart")
def cart(request: HttpRequest) -> dict[str, Any]:
    return cart_out(selectors.cart_view(current_cart_id(request)))


@router.post("/items", response={201: CartOut}, auth=None, summary="Add a SKU to the cart")
def cart_add(request: HttpRequest, payload: CartAddIn) -> Status[Any]:
    cart_id = _writable_cart(request)
    services.cart_add(cart_id=cart_id, sku_id=payload.sku_id, quantity=payload.quantity)
    return Status(201, cart_out(selectors.cart_view(cart_id)))


@router.patch("/items/{sku_id}", response=CartOut, auth=None, summary="Change a line")
def cart_line_update(request: HttpRequest, sku_id: int, payload: CartLineIn) -> dict[str, Any]:
    cart_id = _writable_cart(request)
    if payload.quantity is not None:
        services.cart_set_quantity(cart_id=cart_id, sku_id=sku_id, quantity=payload.quantity)
    if payload.is_selected is not None:
        services.cart_select(cart_id=cart_id, sku_ids=[sku_id], selected=payload.is_selected)
    return cart_out(selectors.cart_view(cart_id))


@router.delete("/items/{sku_id}", response=CartOut, auth=None, summary="Remove a line")
def cart_line_remove(request: HttpRequest, sku_id: int) -> dict[str, Any]:
    cart_id = _writable_cart(request)
    services.cart_remove(cart_id=cart_id, sku_ids=[sku_id])
    return cart_out(selectors.cart_view(cart_id))


@router.post("/select", response=CartOut, auth=None, summary="Tick or untick lines")
def cart_select(request: HttpRequest, payload: CartSelectIn) -> dict[str, Any]:
    cart_id = _writable_cart(request)
    services.cart_select(cart_id=cart_id, sku_ids=payload.sku_ids, selected=payload.is_selected)
    return cart_out(selectors.cart_view(cart_id))
