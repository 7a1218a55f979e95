"""Shopper pages: checkout (cart or buy-now), my orders, an order with its timeline, paying,
cancelling, confirming delivery and asking for a refund or return."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from circlemart.accounts import selectors as account_selectors
from circlemart.cart import selectors as cart_selectors
from circlemart.cart.session import current_cart_id
from circlemart.core.errors import DomainError
from circlemart.core.web import signed_in_id
from circlemart.growth.points import selectors as points_selectors
from circlemart.orders import aftersales, selectors, services
from circlemart.orders.contracts import OrderStatus
from circlemart.orders.machine import label as status_label
from circlemart.orders.models import AfterSalesRequest
from circlemart.payments import selectors as payment_selectors
from circlemart.payments.contracts import PaymentStatus
from circlemart.pricing import selectors as pricing_selectors
from circlemart.pricing.contracts import QuoteItem
from circlemart.promotions.coupons import selectors as promotion_selectors

STATUS_TABS = [
    ("", gettext_lazy("All")),
    (OrderStatus.PENDING_PAYMENT.value, gettext_lazy("To pay")),
    (OrderStatus.PAID.value, gettext_lazy("To ship")),
    (OrderStatus.SHIPPED.value, gettext_lazy("Shipped")),
    (OrderStatus.COMPLETED.value, gettext_lazy("Completed")),
]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _checkout_items(request: HttpRequest, source: Any) -> tuple[list[QuoteItem], int | None, str]:
    """Buy-now items from the query/form, else the cart's selected lines."""
    sku_id = _int(source.get("sku_id"))
    if sku_id is not None:
        quantity = _int(source.get("quantity")) or 1
        return [QuoteItem(sku_id=sku_id, quantity=quantity)], None, "buy_now"
    cart_id = current_cart_id(request)
    view = cart_selectors.cart_view(cart_id)
    items = [QuoteItem(sku_id=line.sku_id, quantity=line.quantity) for line in view.selected]
    return items, cart_id, "cart"


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    buyer_id = signed_in_id(request)
    source = request.POST if request.method == "POST" else request.GET
    items, cart_id, origin = _checkout_items(request, source)
    if not items:
        messages.info(request, _("Choose something to buy first."))
        return redirect("cart:cart")
    addresses = list(account_selectors.addresses_of(request.user))  # type: ignore[arg-type]
    address_id = _int(source.get("address_id")) or account_selectors.default_address_id(buyer_id)
    shipping_method = source.get("shipping_method") or "standard"
    region = ""
    if address_id:
        snapshot = account_selectors.address_snapshot(user_id=buyer_id, address_id=address_id)
        region = snapshot["province"] if snapshot else ""
    coupon_choices = promotion_selectors.checkout_coupon_choices(
        buyer_id=buyer_id,
        items=items,
        selected_ids=promotion_selectors.coupon_ids_from_form(source),
        region=region,
        shipping_method=shipping_method,
    )
    # "Use points" asks for all the buyer can spend; the pricing rule decides how many fit.
    use_points = source.get("use_points") == "1"
    options: dict[str, Any] = {
        "coupon_ids": coupon_choices.selected_ids,
        "points": points_selectors.points_spendable(buyer_id) if use_points else 0,
    }
    data = services.CheckoutInput(
        items=items,
        address_id=address_id,
        shipping_method=shipping_method,
        note=source.get("note", ""),
        source=origin,
        expected_total=_int(source.get("expected_total")),
        idempotency_key=(source.get("checkout_token") or "")[:128],
        cart_id=cart_id,
        options=options,
    )
    error = ""
    if request.method == "POST":
        try:
            order = services.order_place(buyer_id=buyer_id, data=data)
        except DomainError as refusal:
            error = str(refusal.message)
        else:
            return _start_payment(request, buyer_id=buyer_id, number=order.number)
    quote = None
    try:
        quote = services.checkout_quote(
            buyer_id=buyer_id,
            data=services.CheckoutInput(
                items=items,
                address_id=address_id if address_id else None,
                shipping_method=shipping_method,
                options=options,
            ),
        )
    except DomainError as refusal:
        error = error or str(refusal.message)
    context = {
        "quote": quote,
        "error": error,
        "addresses": addresses,
        "address_id": address_id,
        "shipping_method": shipping_method,
        "shipping_methods": pricing_selectors.shipping_methods(),
        "buy_now": items[0] if origin == "buy_now" else None,
        "addresses_url": _addresses_url(items[0] if origin == "buy_now" else None),
        "note": data.note,
        "checkout_token": source.get("checkout_token") or uuid.uuid4().hex,
        "coupon_choices": coupon_choices,
        "points_choice": points_selectors.checkout_points(buyer_id=buyer_id, quote=quote),
        "pay_methods": payment_selectors.payment_methods(settings.DEFAULT_CURRENCY),
    }
    return render(request, "orders/checkout.html", context, status=409 if error and quote else 200)


def _addresses_url(buy_now: QuoteItem | None) -> str:
    """The address book, asked to send the buyer back to this checkout with the address they
    pick or add (buy-now items ride along in the way back)."""
    back = reverse("orders:checkout")
    if buy_now is not None:
        back += "?" + urlencode({"sku_id": buy_now.sku_id, "quantity": buy_now.quantity})
    return f"{reverse('accounts:addresses')}?{urlencode({'next': back})}"


def _start_payment(request: HttpRequest, *, buyer_id: int, number: str) -> HttpResponse:
    """Off to pay; when the payment cannot start, back to the order with the reason shown."""
    try:
        payment = services.order_pay(
            buyer_id=buyer_id,
            number=number,
            return_url=f"/orders/{number}/",
            site_url=request.build_absolute_uri("/").rstrip("/"),
            provider=request.POST.get("provider", ""),
        )
    except DomainError as refusal:
        messages.error(request, str(refusal.message))
        return redirect("orders:detail", number=number)
    # Back from the provider, the order page waits for its word before offering to pay again.
    paying = dict(request.session.get(PAYING_SESSION_KEY, {}))
    paying[number] = True
    request.session[PAYING_SESSION_KEY] = dict(list(paying.items())[-MAX_ORDERS_PAYING:])
    return redirect(payment_selectors.buyer_pay_path(payment))


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status and status not in OrderStatus.__members__.values():
        status = None
    page = selectors.orders_of_buyer(
        buyer_id=signed_in_id(request), status=status, cursor=request.GET.get("cursor"), limit=10
    )
    template = (
        "orders/partials/order_items.html"
        if getattr(request, "htmx", False)
        else "orders/list.html"
    )
    return render(
        request,
        template,
        {"page": page, "status": status or "", "tabs": STATUS_TABS},
    )


def _own_order(request: HttpRequest, number: str) -> Any:
    view = selectors.order_for_buyer(buyer_id=signed_in_id(request), number=number)
    if view is None:
        raise Http404(_("Order not found."))
    return view


PAYING_SESSION_KEY = "orders.paying"  # numbers of orders this buyer went off to pay
MAX_ORDERS_PAYING = 5
# The order page polls every 2 s. A buyer back from the provider with the payment not yet
# confirmed sees "processing" for this many polls (half a minute); then the pay button returns,
# for a buyer who came back without paying.
PAYMENT_POLLS_WHILE_UNCONFIRMED = 15


def _payment_processing(request: HttpRequest, order: Any, *, polls: int) -> bool:
    """True while the payment's confirmation is on its way: the money was captured and the
    order has not heard yet (the outbox relays it), or the buyer is back from the provider's
    page and its word has not arrived. Never offer to pay again meanwhile."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    payment = payment_selectors.live_payment_for_order(order.number)
    if payment is None:
        return False
    if payment.status == PaymentStatus.CAPTURED:
        return True
    went_to_pay = order.number in request.session.get(PAYING_SESSION_KEY, {})
    return (
        went_to_pay
        and payment.status == PaymentStatus.CREATED
        and polls < PAYMENT_POLLS_WHILE_UNCONFIRMED
    )


def _forget_paying(request: HttpRequest, number: str) -> None:
    paying = dict(request.session.get(PAYING_SESSION_KEY, {}))
    if paying.pop(number, None) is not None:
        request.session[PAYING_SESSION_KEY] = paying


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    polls = _int(request.GET.get("polls")) or 0
    processing = _payment_processing(request, order, polls=polls)
    if not processing:
        _forget_paying(request, number)  # paid, failed or given up on: a reload offers to pay
    poll_query = {"part": "status", "polls": str(polls + 1)} if processing else {"part": "status"}
    context = {
        "order": order,
        "pay_methods": payment_selectors.payment_methods(order.currency),
        "status_label": status_label(order.status),
        "labels": {t.to_status: status_label(t.to_status) for t in order.transitions},
        "payment_processing": processing,
        "poll_url": f"?{urlencode(poll_query)}",
    }
    if getattr(request, "htmx", False) and request.GET.get("part") == "status":
        return render(request, "orders/partials/status.html", context)
    return render(request, "orders/detail.html", context)


def _act(request: HttpRequest, number: str, action: Any) -> HttpResponse:
    try:
        action()
    except DomainError as refusal:
        messages.error(request, str(refusal.message))
    return redirect("orders:detail", number=number)


@login_required
@require_POST
def order_pay(request: HttpRequest, number: str) -> HttpResponse:
    return _start_payment(request, buyer_id=signed_in_id(request), number=number)


@login_required
@require_POST
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    buyer_id = signed_in_id(request)
    reason = request.POST.get("reason", "")
    return _act(
        request,
        number,
        lambda: services.order_cancel(actor_id=buyer_id, number=number, reason=reason),
    )


@login_required
@require_POST
def order_confirm(request: HttpRequest, number: str) -> HttpResponse:
    buyer_id = signed_in_id(request)
    return _act(
        request, number, lambda: services.order_confirm_delivery(buyer_id=buyer_id, number=number)
    )


@login_required
@require_http_methods(["GET", "POST"])
def after_sales_new(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    errors: dict[str, str] = {}
    if request.method == "POST":
        lines = {
            line.id: quantity
            for line in order.lines
            if (quantity := _int(request.POST.get(f"line_{line.id}")))
        }
        amount_text = request.POST.get("amount", "").strip()
        try:
            aftersales.aftersales_request(
                buyer_id=order.buyer_id,
                number=number,
                kind=request.POST.get("kind", ""),
                reason=request.POST.get("reason", ""),
                detail=request.POST.get("detail", ""),
                lines=lines or None,
                amount=_yuan_to_minor(amount_text) if amount_text else None,
                photos=request.FILES.getlist("photos"),
            )
        except DomainError as refusal:
            errors[refusal.field or "form"] = str(refusal.message)
        else:
            messages.success(request, _("Your request was sent to the merchant."))
            return redirect("orders:detail", number=number)
    context = {
        "order": order,
        "errors": errors,
        "kinds": AfterSalesRequest.Kind.choices,
        "reasons": AfterSalesRequest.Reason.choices,
        "form": request.POST,
    }
    return render(request, "orders/after_sales.html", context, status=400 if errors else 200)


def _yuan_to_minor(text: str) -> int:
    """ "12.5" → 1250; anything unparsable becomes 0, which the service refuses by field."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text)
    except InvalidOperation:
        return 0
    return int((value * 100).to_integral_value()) if value.is_finite() else 0


@login_required
@require_POST
def after_sales_action(request: HttpRequest, number: str, request_id: int) -> HttpResponse:
    buyer_id = signed_in_id(request)
    action = request.POST.get("action")
    if action == "cancel":
        return _act(
            request,
            number,
            lambda: aftersales.aftersales_cancel(buyer_id=buyer_id, request_id=request_id),
        )
    if action == "escalate":
        reason = request.POST.get("reason", "")
        return _act(
            request,
            number,
            lambda: aftersales.aftersales_escalate(
                buyer_id=buyer_id, request_id=request_id, reason=reason
            ),
        )
    carrier, tracking = request.POST.get("carrier", ""), request.POST.get("tracking_number", "")
    return _act(
        request,
        number,
        lambda: aftersales.aftersales_ship_return(
            buyer_id=buyer_id, request_id=request_id, carrier=carrier, tracking_number=tracking
        ),
    )
