"""Orders API: /api/v1/orders — quote, checkout, pay, track, cancel, after-sales; staff
shipping and after-sales decisions. Send Idempotency-Key on every POST."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from circlemart.cart import selectors as cart_selectors
from circlemart.cart.session import current_cart_id
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.core.pagination import PageCursor, PageLimit, page_size
from circlemart.core.web import signed_in_id
from circlemart.orders import aftersales, selectors, services
from circlemart.orders.schemas import (
    AfterSalesIn,
    AfterSalesOut,
    ApproveIn,
    CheckoutIn,
    OrderOut,
    OrderPageOut,
    PaymentStartIn,
    PaymentStartOut,
    QuoteIn,
    QuoteOut,
    ReasonIn,
    ReturnShipmentIn,
    ShipIn,
)
from circlemart.pricing.contracts import Quote, QuoteItem

router = Router(tags=["orders"])


def _items(request: HttpRequest, payload: QuoteIn) -> tuple[list[QuoteItem], int | None]:
    """The items asked for, or (None) the cart's selected lines — with the cart's id."""
    if payload.items is not None:
        return [QuoteItem(sku_id=i.sku_id, quantity=i.quantity) for i in payload.items], None
    cart_id = current_cart_id(request)
    view = cart_selectors.cart_view(cart_id)
    items = [QuoteItem(sku_id=line.sku_id, quantity=line.quantity) for line in view.selected]
    if not items:
        raise ValidationFailed(_("Your cart has nothing selected."), code="empty", field="items")
    return items, cart_id


def quote_out(quote: Quote) -> dict[str, Any]:
    body = dataclasses.asdict(quote)
    body["lines"] = [{**dataclasses.asdict(line), "total": line.total} for line in quote.lines]
    return body


def _order(buyer_id: int, number: str) -> Any:
    view = selectors.order_for_buyer(buyer_id=buyer_id, number=number)
    if view is None:
        raise NotFound(_("Order not found."), code="order_not_found", field="number")
    return view


@router.post("/quote", response=QuoteOut, summary="Price items (or the cart) without ordering")
def quote(request: HttpRequest, payload: QuoteIn) -> dict[str, Any]:
    items, _cart = _items(request, payload)
    data = services.CheckoutInput(
        items=items,
        address_id=payload.address_id,
        shipping_method=payload.shipping_method,
        options={"coupon_ids": payload.coupon_ids, "points": payload.points},
    )
    return quote_out(services.checkout_quote(buyer_id=signed_in_id(request), data=data))


@router.post("", response={201: OrderOut}, summary="Place an order (from items or the cart)")
def place(request: HttpRequest, payload: CheckoutIn) -> Status[Any]:
    buyer_id = signed_in_id(request)
    items, cart_id = _items(request, payload)
    order = services.order_place(
        buyer_id=buyer_id,
        data=services.CheckoutInput(
            items=items,
            address_id=payload.address_id,
            shipping_method=payload.shipping_method,
            note=payload.note,
            expected_total=payload.expected_total,
            source="cart" if cart_id is not None else "buy_now",
            idempotency_key=request.headers.get("Idempotency-Key", "")[:128],
            cart_id=cart_id,
            options={"coupon_ids": payload.coupon_ids, "points": payload.points},
        ),
    )
    return Status(201, _order(buyer_id, order.number))


@router.get("", response=OrderPageOut, summary="My orders, newest first")
def my_orders(
    request: HttpRequest,
    status: str | None = None,
    cursor: PageCursor = None,
    limit: PageLimit = None,
) -> Any:
    return selectors.orders_of_buyer(
        buyer_id=signed_in_id(request), status=status, cursor=cursor, limit=page_size(limit)
    )


@router.get("/{number}", response=OrderOut, summary="One of my orders")
def order_detail(request: HttpRequest, number: str) -> Any:
    return _order(signed_in_id(request), number)


@router.post("/{number}/pay", response=PaymentStartOut, summary="Start paying; go to redirect_url")
def pay(request: HttpRequest, number: str, payload: PaymentStartIn | None = None) -> dict[str, Any]:
    payment = services.order_pay(
        buyer_id=signed_in_id(request),
        number=number,
        return_url=f"/orders/{number}/",
        site_url=request.build_absolute_uri("/").rstrip("/"),
        provider=payload.provider if payload is not None else "",
    )
    return {
        "payment_id": payment.id,
        "provider": payment.provider,
        "redirect_url": payment.redirect_url if not payment.qr_code else "",
        "qr_code": payment.qr_code,
        "status": payment.status,
    }


@router.post("/{number}/cancel", response=OrderOut, summary="Cancel an unpaid order")
def cancel(request: HttpRequest, number: str, payload: ReasonIn) -> Any:
    buyer_id = signed_in_id(request)
    services.order_cancel(actor_id=buyer_id, number=number, reason=payload.reason)
    return _order(buyer_id, number)


@router.post("/{number}/confirm-delivery", response=OrderOut, summary="I received it")
def confirm_delivery(request: HttpRequest, number: str) -> Any:
    buyer_id = signed_in_id(request)
    services.order_confirm_delivery(buyer_id=buyer_id, number=number)
    return _order(buyer_id, number)


@router.post("/{number}/ship", response=OrderOut, summary="Ship (merchant staff)")
def ship(request: HttpRequest, number: str, payload: ShipIn) -> Any:
    services.order_ship(
        staff_id=signed_in_id(request),
        number=number,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
    )
    view = selectors.order_for_staff(number)
    assert view is not None
    return view


@router.post(
    "/{number}/after-sales", response={201: AfterSalesOut}, summary="Ask for a refund or return"
)
def after_sales_request(request: HttpRequest, number: str, payload: AfterSalesIn) -> Status[Any]:
    buyer_id = signed_in_id(request)
    created = aftersales.aftersales_request(
        buyer_id=buyer_id,
        number=number,
        kind=payload.kind,
        reason=payload.reason,
        detail=payload.detail,
        lines=payload.lines,
        amount=payload.amount,
    )
    return Status(201, selectors.after_sales_view(created.pk))


def _after_sales_answer(request_id: int) -> Any:
    return selectors.after_sales_view(request_id)


@router.post("/after-sales/{request_id}/cancel", response=AfterSalesOut, summary="Withdraw")
def after_sales_cancel(request: HttpRequest, request_id: int) -> Any:
    aftersales.aftersales_cancel(buyer_id=signed_in_id(request), request_id=request_id)
    return _after_sales_answer(request_id)


@router.post("/after-sales/{request_id}/escalate", response=AfterSalesOut, summary="Escalate")
def after_sales_escalate(request: HttpRequest, request_id: int, payload: ReasonIn) -> Any:
    aftersales.aftersales_escalate(
        buyer_id=signed_in_id(request), request_id=request_id, reason=payload.reason
    )
    return _after_sales_answer(request_id)


@router.post(
    "/after-sales/{request_id}/return-shipment", response=AfterSalesOut, summary="I sent it back"
)
def after_sales_return(request: HttpRequest, request_id: int, payload: ReturnShipmentIn) -> Any:
    aftersales.aftersales_ship_return(
        buyer_id=signed_in_id(request),
        request_id=request_id,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
    )
    return _after_sales_answer(request_id)


@router.post(
    "/after-sales/{request_id}/approve", response=AfterSalesOut, summary="Approve (merchant staff)"
)
def after_sales_approve(request: HttpRequest, request_id: int, payload: ApproveIn) -> Any:
    aftersales.aftersales_approve(
        staff_id=signed_in_id(request),
        request_id=request_id,
        amount=payload.amount,
        restock=payload.restock,
        note=payload.note,
    )
    return _after_sales_answer(request_id)


@router.post(
    "/after-sales/{request_id}/reject", response=AfterSalesOut, summary="Reject (merchant staff)"
)
def after_sales_reject(request: HttpRequest, request_id: int, payload: ReasonIn) -> Any:
    aftersales.aftersales_reject(
        staff_id=signed_in_id(request), request_id=request_id, reason=payload.reason
    )
    return _after_sales_answer(request_id)


@router.post(
    "/after-sales/{request_id}/receive",
    response=AfterSalesOut,
    summary="Returned goods arrived: refund (merchant staff)",
)
def after_sales_receive(request: HttpRequest, request_id: int, payload: ApproveIn) -> Any:
    aftersales.aftersales_receive_return(
        staff_id=signed_in_id(request), request_id=request_id, restock=payload.restock
    )
    return _after_sales_answer(request_id)
