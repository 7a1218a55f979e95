"""Cart pages: the cart with quantity steppers and ticks (htmx swaps the cart body), and the
add-to-cart endpoint the product page posts to."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from circlemart.cart import selectors, services
from circlemart.cart.session import current_cart_id
from circlemart.core.errors import DomainError


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value or default)
    except ValueError:
        return -1


def _quantity(value: str | None) -> int | None:
    """A typed quantity: a whole number, or None for anything else ("", "abc", "1.5")."""
    text = (value or "").strip()
    try:
        return int(text)
    except ValueError:
        return None


def _body(
    request: HttpRequest,
    *,
    error: str = "",
    error_sku: int | None = None,
    error_field: str = "",
    status: int = 200,
) -> HttpResponse:
    """The cart (its body for htmx). A refusal about one line is shown next to that line."""
    view = selectors.cart_view(current_cart_id(request))
    template = (
        "cart/partials/cart_body.html" if getattr(request, "htmx", False) else "cart/cart.html"
    )
    if error_sku is not None and all(line.sku_id != error_sku for line in view.lines):
        error_sku = None  # the line is gone: say it at the top instead
    context = {"cart": view, "error": error, "error_sku": error_sku, "error_field": error_field}
    return render(request, template, context, status=status)


@require_http_methods(["GET"])
def cart_page(request: HttpRequest) -> HttpResponse:
    return _body(request)


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """From the product page: answers with a one-line status (htmx) or goes to the cart."""
    sku_id = _int(request.POST.get("sku_id"))
    quantity = _int(request.POST.get("quantity"), 1)
    try:
        cart_id = current_cart_id(request, create=True)
        assert cart_id is not None
        services.cart_add(cart_id=cart_id, sku_id=sku_id, quantity=quantity)
    except DomainError as error:
        return render(
            request, "cart/partials/added.html", {"error": str(error.message)}, status=error.status
        )
    if not getattr(request, "htmx", False):
        return redirect("cart:cart")
    count = selectors.cart_count(cart_id)
    answer = render(request, "cart/partials/added.html", {"count": count})
    answer["HX-Trigger"] = "cart-changed"  # the buy bar's cart count reloads
    return answer


@require_POST
def cart_line(request: HttpRequest, sku_id: int) -> HttpResponse:
    """Change one line: quantity (the stepper), tick, or remove."""
    cart_id = current_cart_id(request, create=True)
    assert cart_id is not None
    action = request.POST.get("action", "")
    try:
        if action == "remove":
            services.cart_remove(cart_id=cart_id, sku_ids=[sku_id])
        elif action == "select":
            chosen = request.POST.get("selected") == "on"
            services.cart_select(cart_id=cart_id, sku_ids=[sku_id], selected=chosen)
        else:
            # Zero, negative or not a number is refused here, never read as "remove" or "1":
            # the stepper has its own Remove button.
            quantity = _quantity(request.POST.get("quantity"))
            if quantity is None or quantity < 1:
                return _body(
                    request,
                    error=_("Enter a quantity of 1 or more."),
                    error_sku=sku_id,
                    error_field="quantity",
                    status=400,
                )
            services.cart_set_quantity(cart_id=cart_id, sku_id=sku_id, quantity=quantity)
    except DomainError as error:
        return _body(
            request,
            error=str(error.message),
            error_sku=sku_id,
            error_field=error.field or "",
            status=error.status,
        )
    return _body(request)


@require_POST
def cart_select_all(request: HttpRequest) -> HttpResponse:
    cart_id = current_cart_id(request, create=True)
    assert cart_id is not None
    services.cart_select(
        cart_id=cart_id, sku_ids=None, selected=request.POST.get("selected") == "on"
    )
    return _body(request)


def cart_badge(request: HttpRequest) -> HttpResponse:
    count = selectors.cart_count(current_cart_id(request))
    return HttpResponse(str(count) if count else "", content_type="text/plain; charset=utf-8")


__all__ = ["_"]
