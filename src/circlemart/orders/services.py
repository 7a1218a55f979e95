"""Order writes: checkout, payment start, cancellation, shipping, delivery, and the sweeps.

Every write runs in one transaction with the outbox row of its event. Status moves go through
machine.move (a conditional UPDATE), so a sweep, a webhook and a shopper racing on the same
order cannot both win."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from circlemart.accounts import selectors as account_selectors
from circlemart.cart import services as cart_services
from circlemart.catalog import services as catalog_services
from circlemart.core import clock
from circlemart.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from circlemart.core.events import publish
from circlemart.core.money import Money
from circlemart.core.text import clean_plain_text
from circlemart.inventory import services as inventory
from circlemart.orders import events
from circlemart.orders.contracts import OrderStatus as S
from circlemart.orders.machine import Actor, move
from circlemart.orders.models import AfterSalesRequest, Order, OrderLine, OrderTransition
from circlemart.payments import selectors as payment_selectors
from circlemart.payments import services as payments
from circlemart.payments.contracts import PaymentView
from circlemart.pricing import rules as pricing_rules
from circlemart.pricing import services as pricing
from circlemart.pricing.contracts import PlacedOrder, Quote, QuoteItem

NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
NOTE_MAX = 200
MANAGE_PERMISSION = "orders.change_order"

logger = logging.getLogger(__name__)


def new_order_number() -> str:
    """CM + local date + 6 random characters: "CM261201K7QX3M". Unique by constraint."""
    day = timezone.localdate().strftime("%y%m%d")
    tail = "".join(secrets.choice(NUMBER_ALPHABET) for _unused in range(6))
    return f"CM{day}{tail}"


def _buyer_order(*, buyer_id: int, number: str, lock: bool = False) -> Order:
    query = Order.objects.filter(number=number, buyer_id=buyer_id)
    if lock:
        query = query.select_for_update()
    order = query.first()
    if order is None:
        raise NotFound(_("Order not found."), code="order_not_found", field="number")
    return order


def _any_order(number: str, *, lock: bool = True) -> Order:
    query = Order.objects.filter(number=number)
    order = (query.select_for_update() if lock else query).first()
    if order is None:
        raise NotFound(_("Order not found."), code="order_not_found", field="number")
    return order


def clean_shipment(carrier: str, tracking_number: str) -> tuple[str, str]:
    carrier = clean_plain_text(carrier, field="carrier", max_length=40, min_length=1)
    tracking = clean_plain_text(tracking_number, field="tracking_number", max_length=40)
    tracking = tracking.replace(" ", "")
    if not tracking or not tracking.isascii() or not tracking.isalnum():
        raise ValidationFailed(
            _("Enter the tracking number (letters and digits)."),
            code="invalid_tracking_number",
            field="tracking_number",
        )
    return carrier, tracking


def require_staff(user_id: int) -> None:
    if not account_selectors.user_may(user_id, MANAGE_PERMISSION):
        raise PermissionDenied(_("Only merchant staff may manage orders."), code="not_staff")


@dataclass(frozen=True)
class CheckoutInput:
    items: list[QuoteItem]
    address_id: int | None
    shipping_method: str = "standard"
    note: str = ""
    source: str = Order.Source.CART
    expected_total: int | None = None  # what the shopper saw; a change is reported, not taken
    idempotency_key: str = ""
    cart_id: int | None = None
    attribution: dict[str, str] | None = None
    options: dict[str, Any] | None = None


def _address(buyer_id: int, address_id: int | None) -> dict[str, str]:
    if address_id is None:
        raise ValidationFailed(
            _("Choose a shipping address."), code="address_required", field="address_id"
        )
    snapshot = account_selectors.address_snapshot(user_id=buyer_id, address_id=address_id)
    if snapshot is None:  # someone else's address looks exactly like a missing one
        raise NotFound(_("Address not found."), code="address_not_found", field="address_id")
    return snapshot


def checkout_quote(*, buyer_id: int, data: CheckoutInput) -> Quote:
    region = ""
    if data.address_id is not None:
        region = _address(buyer_id, data.address_id)["province"]
    return pricing.quote(
        items=data.items,
        buyer_id=buyer_id,
        region=region,
        shipping_method=data.shipping_method,
        options=data.options,
    )


def _existing_for_key(buyer_id: int, key: str) -> Order | None:
    if not key:
        return None
    return Order.objects.filter(buyer_id=buyer_id, idempotency_key=key).first()


def order_place(*, buyer_id: int, data: CheckoutInput) -> Order:
    """Price the items on the server, reserve their stock and write the order, all or nothing.

    The same idempotency key always answers with the same order. Refusals: unknown or
    unavailable SKUs (404/409), bad quantities (400), someone else's address (404), a changed
    total (409 price_changed, with the new total) and sold-out SKUs (409 out_of_stock)."""
    existing = _existing_for_key(buyer_id, data.idempotency_key)
    if existing is not None:
        return existing
    if len(data.idempotency_key) > 128:
        raise ValidationFailed(_("The checkout key is too long."), field="idempotency_key")
    note = clean_plain_text(data.note, field="note", max_length=NOTE_MAX, multiline=True)
    address = _address(buyer_id, data.address_id)
    quote = pricing.quote(
        items=data.items,
        buyer_id=buyer_id,
        region=address["province"],
        shipping_method=data.shipping_method,
        options=data.options,
    )
    if data.expected_total is not None and data.expected_total != quote.total:
        raise Conflict(
            _("The price changed since you looked: the total is now %(total)s.")
            % {"total": _format(quote.total, quote.currency)},
            code="price_changed",
            field="expected_total",
            extra={"total": quote.total},
        )
    try:
        return _write_order(buyer_id=buyer_id, data=data, quote=quote, address=address, note=note)
    except IntegrityError:
        existing = _existing_for_key(buyer_id, data.idempotency_key)
        if existing is not None:  # a parallel copy of this checkout won
            return existing
        raise


def _format(amount: int, currency: str) -> str:
    from django.utils.translation import get_language

    from circlemart.core.money import Money, babel_locale

    return Money(amount, currency).format(babel_locale(get_language()))


def _write_order(
    *, buyer_id: int, data: CheckoutInput, quote: Quote, address: dict[str, str], note: str
) -> Order:
    now = clock.now()
    deadline = now + timedelta(minutes=settings.ORDER_PAYMENT_WINDOW_MINUTES)
    for _attempt in range(5):
        number = new_order_number()
        if not Order.objects.filter(number=number).exists():
            break
    with transaction.atomic():
        order = Order.objects.create(
            number=number,
            buyer_id=buyer_id,
            source=data.source,
            idempotency_key=data.idempotency_key,
            currency=quote.currency,
            list_subtotal=quote.list_subtotal,
            subtotal=quote.subtotal,
            discount_total=quote.discount_total,
            shipping_fee=quote.shipping_fee,
            total=quote.total,
            adjustments=[_adjustment_row(a) for a in quote.adjustments],
            shipping_method=quote.shipping_method,
            region=quote.region,
            address=json.dumps(address, ensure_ascii=False),
            note=note,
            attribution=dict(data.attribution or {}),
            placed_at=now,
            payment_deadline=deadline,
        )
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    sku_id=line.sku_id,
                    product_id=line.product_id,
                    title=line.title,
                    title_en=line.title_en,
                    options=line.options,
                    cover=line.cover,
                    list_price=line.list_price,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                    discount=line.discount,
                    total=line.total,
                )
                for line in quote.lines
            ]
        )
        quantities = {line.sku_id: line.quantity for line in quote.lines}
        inventory.stock_reserve(reference=number, quantities=quantities, expires_at=deadline)
        pricing_rules.run_commit_hooks(
            PlacedOrder(
                order_number=number,
                buyer_id=buyer_id,
                quote=quote,
                options=dict(data.options or {}),
            )
        )
        order.transitions.create(
            from_status="",
            to_status=S.PENDING_PAYMENT,
            actor_id=buyer_id,
            actor_kind="buyer",
            at=now,
        )
        if data.cart_id is not None:
            cart_services.cart_remove_ordered(cart_id=data.cart_id, quantities=quantities)
        publish(
            events.OrderPlaced(
                order_number=number,
                buyer_id=buyer_id,
                total=quote.total,
                currency=quote.currency,
                lines=[
                    {
                        "sku_id": line.sku_id,
                        "product_id": line.product_id,
                        "quantity": line.quantity,
                    }
                    for line in quote.lines
                ],
                attribution=dict(data.attribution or {}),
            )
        )
    return order


def _adjustment_row(adjustment: Any) -> dict[str, Any]:
    return {
        "stage": str(adjustment.stage),
        "rule": adjustment.rule,
        "label": str(adjustment.label),
        "amount": adjustment.amount,
        "sku_id": adjustment.sku_id,
    }


def order_pay(
    *, buyer_id: int, number: str, return_url: str, site_url: str = "", provider: str = ""
) -> PaymentView:
    """Start (or resume) paying an order at the provider the buyer chose ("" for the first
    one offered); the shopper goes to redirect_url. `site_url` is this shop's origin as the
    buyer reached it ("" for SITE_URL): the provider sends the buyer and its notifications
    back there."""
    order = _buyer_order(buyer_id=buyer_id, number=number)
    if order.status != S.PENDING_PAYMENT:
        raise Conflict(_("This order is not awaiting payment."), code="not_payable", field="number")
    if order.payment_deadline <= clock.now():
        raise Conflict(
            _("The time to pay this order has run out."), code="payment_window_over", field="number"
        )
    return payments.payment_start(
        order_number=number,
        buyer_id=buyer_id,
        amount=order.total,
        currency=order.currency,
        return_url=return_url,
        idempotency_key=f"order:{number}",
        site_url=site_url,
        provider=provider,
    )


def order_pay_link(*, buyer_id: int, number: str, return_url: str) -> str:
    """Where on this site to send a buyer who just placed an order to pay it (the QR page, the
    hand-off to the provider's page, the test gateway), or "" when the payment cannot start
    now: the order page then shows why and offers to pay again."""
    try:
        payment = order_pay(buyer_id=buyer_id, number=number, return_url=return_url)
    except DomainError as refusal:
        logger.warning("payment did not start", extra={"order": number, "code": refusal.code})
        return ""
    return payment_selectors.buyer_pay_path(payment)


def _cancel(order: Order, *, actor: Actor, reason: str) -> Order:
    move(order, S.CANCELLED, actor=actor, reason=reason, cancel_reason=reason[:200])
    inventory.reservation_release(reference=order.number)
    payments.payment_cancel_for_order(order_number=order.number)
    publish(
        events.OrderCancelled(
            order_number=order.number,
            buyer_id=order.buyer_id,
            reason=reason,
            cancelled_by=actor.kind,
        )
    )
    return order


def order_cancel(*, actor_id: int, number: str, reason: str = "") -> Order:
    """The buyer (or staff) cancels an order that is still awaiting payment; stock returns."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(number=number).first()
        is_buyer = order is not None and order.buyer_id == actor_id
        if order is None or not (
            is_buyer or account_selectors.user_may(actor_id, MANAGE_PERMISSION)
        ):
            raise NotFound(_("Order not found."), code="order_not_found", field="number")
        if order.status != S.PENDING_PAYMENT:
            raise Conflict(
                _("Only orders awaiting payment can be cancelled; ask for a refund instead."),
                code="illegal_transition",
                field="status",
            )
        reason = clean_plain_text(reason, field="reason", max_length=200) or str(
            _("Cancelled by the buyer")
        )
        return _cancel(
            order, actor=Actor(actor_id, "buyer" if is_buyer else "staff"), reason=reason
        )


def order_ship(*, staff_id: int, number: str, carrier: str, tracking_number: str) -> Order:
    require_staff(staff_id)
    carrier, tracking_number = clean_shipment(carrier, tracking_number)
    with transaction.atomic():
        order = _any_order(number)
        if order.fulfilment_hold:
            raise Conflict(
                _("This order may not ship yet: %(why)s.")
                % {"why": HOLD_LABELS.get(order.fulfilment_hold, order.fulfilment_hold)},
                code="fulfilment_on_hold",
                field="number",
                extra={"hold": order.fulfilment_hold},
            )
        move(
            order,
            S.SHIPPED,
            actor=Actor(staff_id, "staff"),
            carrier=carrier,
            tracking_number=tracking_number,
        )
        publish(
            events.OrderShipped(
                order_number=number,
                buyer_id=order.buyer_id,
                carrier=carrier,
                tracking_number=tracking_number,
            )
        )
        return order


def _deliver(order: Order, *, actor: Actor, reason: str = "") -> Order:
    move(order, S.DELIVERED, actor=actor, reason=reason)
    publish(
        events.OrderDelivered(
            order_number=order.number, buyer_id=order.buyer_id, delivered_by=actor.kind
        )
    )
    return order


def order_confirm_delivery(*, buyer_id: int, number: str) -> Order:
    with transaction.atomic():
        order = _buyer_order(buyer_id=buyer_id, number=number, lock=True)
        return _deliver(order, actor=Actor(buyer_id, "buyer"))


def _complete(order: Order, *, actor: Actor) -> Order:
    move(order, S.COMPLETED, actor=actor)
    publish(events.OrderCompleted(order_number=order.number, buyer_id=order.buyer_id))
    return order


def order_complete(*, buyer_id: int, number: str) -> Order:
    with transaction.atomic():
        order = _buyer_order(buyer_id=buyer_id, number=number, lock=True)
        return _complete(order, actor=Actor(buyer_id, "buyer"))


# --- holds, system cancellations and refunds (other apps call these) -------------------------

HOLD_GROUP_BUY = "group_buy"
HOLD_LABELS = {HOLD_GROUP_BUY: gettext_lazy("the group buy has not filled up yet")}
SYSTEM_REFUND_PREFIX = "order-refund:"


def order_fulfilment_hold(*, number: str, hold: str) -> None:
    """Keep the order from shipping until `order_fulfilment_release` (call inside the
    transaction that placed it, e.g. from a pricing commit hook)."""
    if hold not in HOLD_LABELS:
        raise ValueError(f"unknown fulfilment hold {hold!r}")
    Order.objects.filter(number=number).update(fulfilment_hold=hold, updated_at=clock.now())


def order_fulfilment_release(*, number: str, hold: str) -> bool:
    """The hold is over: the order may ship. Idempotent; True when this call released it."""
    return bool(
        Order.objects.filter(number=number, fulfilment_hold=hold).update(
            fulfilment_hold="", updated_at=clock.now()
        )
    )


def order_cancel_by_system(*, number: str, reason: str) -> bool:
    """Cancel an order still awaiting payment (its stock returns); False when it is not
    awaiting payment any more (paid meanwhile, or already cancelled)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(number=number).first()
        if order is None or order.status != S.PENDING_PAYMENT:
            return False
        if payment_selectors.captured_total(order.number) >= order.total > 0:
            return False  # paid a moment ago; the capture will pay it
        _cancel(order, actor=Actor.system(), reason=reason[:200])
        return True


def order_refund_in_full(*, number: str, reason: str, key: str) -> bool:
    """Give a paid, unshipped order's money back in full through the payment provider (a
    group that failed). Idempotent by `key`: the same key never refunds twice, whatever
    happens in between. The order waits in REFUNDING; RefundSucceeded ends it REFUNDED with
    its stock back, RefundFailed returns it to PAID (call again with a new key to retry).
    Returns False when the order is not in a state to refund (not paid, or refunding)."""
    with transaction.atomic():
        order = _any_order(number)
        if order.status != S.PAID:
            return False
        amount = order.paid_amount - order.refunded_amount
        if amount <= 0:
            return False
        order_begin_refund(order, actor=Actor.system(), reason=reason[:200])
        payments.payment_refund(
            order_number=number,
            amount=amount,
            reason=reason[:200],
            reference=f"{SYSTEM_REFUND_PREFIX}{key}"[:64],
        )
        return True


def order_system_refund_succeeded(*, number: str, reference: str, amount: int) -> bool:
    """RefundSucceeded for a refund `order_refund_in_full` asked for: count it on the order and
    its lines, and put the stock back (nothing shipped). Applied once (the order must still
    be REFUNDING)."""
    if not reference.startswith(SYSTEM_REFUND_PREFIX):
        return False
    with transaction.atomic():
        order = _any_order(number)
        if order.status != S.REFUNDING:
            return False
        lines = list(order.lines.order_by("pk"))
        weights = [max(line.total - line.refunded_amount, 0) for line in lines]
        goods = min(amount, sum(weights))
        shares = (
            [share.amount for share in Money(goods, "XXX").allocate(weights)]
            if goods > 0 and any(weights)
            else [0] * len(lines)
        )
        order_refund_applied(
            number=number,
            amount=amount,
            line_refunds={
                line.pk: (line.quantity - line.refunded_quantity, share)
                for line, share in zip(lines, shares, strict=True)
            },
        )
        quantities: dict[int, int] = {}
        for line in lines:
            left = line.quantity - line.refunded_quantity
            if left > 0:
                quantities[line.sku_id] = quantities.get(line.sku_id, 0) + left
        if quantities:
            inventory.stock_restock(quantities=quantities)
        return True


def order_system_refund_failed(*, number: str, reference: str, reason: str) -> bool:
    if not reference.startswith(SYSTEM_REFUND_PREFIX):
        return False
    with transaction.atomic():
        order = _any_order(number)
        if order.status != S.REFUNDING:
            return False
        order_end_refund_attempt(order, reason=reason[:200])
        return True


# --- payments arriving (handlers call these) ------------------------------------------------


def order_record_payment(*, number: str, payment_id: int, amount: int) -> str:
    """A capture arrived. Pays the order when it is awaiting payment and the amount matches;
    otherwise the money goes straight back (late payment after cancel, double payment).
    Returns what happened: "paid", "refunded" or "duplicate"."""
    with transaction.atomic():
        order = _any_order(number)
        if order.status == S.PENDING_PAYMENT and amount == order.total:
            move(order, S.PAID, actor=Actor(None, "payment"), paid_amount=amount)
            inventory.reservation_commit(reference=number)
            quantities: dict[int, int] = {}
            for product_id, quantity in order.lines.values_list("product_id", "quantity"):
                quantities[product_id] = quantities.get(product_id, 0) + quantity
            catalog_services.product_sales_record(quantities=quantities)
            publish(
                events.OrderPaid(
                    order_number=number,
                    buyer_id=order.buyer_id,
                    amount=amount,
                    currency=order.currency,
                )
            )
            return "paid"
        payments.payment_refund(
            order_number=number,
            amount=amount,
            reason=str(_("Payment arrived for an order that no longer needed it")),
            reference=f"unneeded-payment:{payment_id}",
            payment_id=payment_id,
        )
        return "refunded"


# --- sweeps (periodic tasks call these; safe to run twice at once) ---------------------------


def _due(query: Any, limit: int) -> list[int]:
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    return list(query.values_list("pk", flat=True)[:limit])


def orders_cancel_unpaid(*, limit: int = 200) -> int:
    """Cancel orders whose payment window has passed, releasing their stock. An order whose
    capture has arrived but not yet been applied is paid instead of cancelled."""
    cancelled = 0
    with transaction.atomic():
        ids = _due(
            Order.objects.filter(
                status=S.PENDING_PAYMENT, payment_deadline__lte=clock.now()
            ).order_by("payment_deadline"),
            limit,
        )
    for order_id in ids:
        with transaction.atomic():
            order = Order.objects.select_for_update().filter(pk=order_id).first()
            if order is None or order.status != S.PENDING_PAYMENT:
                continue
            if payment_selectors.captured_total(order.number) >= order.total > 0:
                continue  # the PaymentCaptured event is on its way and will pay it
            _cancel(order, actor=Actor.system(), reason=str(_("Not paid in time")))
            cancelled += 1
    return cancelled


def orders_auto_progress(*, limit: int = 500) -> tuple[int, int]:
    """Shipped for ORDER_AUTO_CONFIRM_DAYS → delivered; delivered for ORDER_COMPLETE_AFTER_DAYS
    → completed. Returns (delivered, completed)."""
    now = clock.now()
    moved = [0, 0]
    plans = [
        (S.SHIPPED, "shipped_at", settings.ORDER_AUTO_CONFIRM_DAYS, 0),
        (S.DELIVERED, "delivered_at", settings.ORDER_COMPLETE_AFTER_DAYS, 1),
    ]
    for status, stamp, days, slot in plans:
        with transaction.atomic():
            ids = _due(
                Order.objects.filter(
                    status=status, **{f"{stamp}__lte": now - timedelta(days=days)}
                ).order_by(stamp),
                limit,
            )
        for order_id in ids:
            with transaction.atomic():
                order = Order.objects.select_for_update().filter(pk=order_id).first()
                if order is None or order.status != status:
                    continue
                if status == S.SHIPPED:
                    _deliver(order, actor=Actor.system(), reason=str(_("Delivered (automatic)")))
                else:
                    _complete(order, actor=Actor.system())
                moved[slot] += 1
    return moved[0], moved[1]


AFTER_SALES_SETTLED = (
    AfterSalesRequest.Status.REFUNDED,
    AfterSalesRequest.Status.REJECTED,
    AfterSalesRequest.Status.CLOSED,
    AfterSalesRequest.Status.CANCELLED,
)


def _after_sales_closed_event(order: Order) -> events.OrderAfterSalesClosed:
    return events.OrderAfterSalesClosed(
        order_number=order.number,
        buyer_id=order.buyer_id,
        paid_amount=order.paid_amount,
        refunded_amount=order.refunded_amount,
        currency=order.currency,
        lines=[
            {
                "line_id": line.pk,
                "product_id": line.product_id,
                "sku_id": line.sku_id,
                "quantity": line.quantity,
                "total": line.total,
                "refunded_amount": line.refunded_amount,
            }
            for line in order.lines.order_by("pk")
        ],
    )


def orders_close_after_sales(*, limit: int = 500) -> int:
    """Completed orders whose after-sales window (AFTER_SALES_WINDOW_DAYS) has run out with no
    request still open: stamp them and publish OrderAfterSalesClosed, once per order. Safe to
    run twice at once (row locks, and the stamp is checked again under the lock)."""
    now = clock.now()
    cutoff = now - timedelta(days=settings.AFTER_SALES_WINDOW_DAYS)
    open_requests = AfterSalesRequest.objects.filter(order=OuterRef("pk")).exclude(
        status__in=AFTER_SALES_SETTLED
    )
    with transaction.atomic():
        ids = _due(
            Order.objects.filter(
                status=S.COMPLETED, completed_at__lte=cutoff, after_sales_closed_at__isnull=True
            )
            .exclude(Exists(open_requests))
            .order_by("completed_at"),
            limit,
        )
    closed = 0
    for order_id in ids:
        with transaction.atomic():
            order = Order.objects.select_for_update().filter(pk=order_id).first()
            if order is None or order.status != S.COMPLETED or order.after_sales_closed_at:
                continue
            order.after_sales_closed_at = now
            order.save(update_fields=["after_sales_closed_at", "updated_at"])
            publish(_after_sales_closed_event(order))
            closed += 1
    return closed


def order_refund_applied(
    *, number: str, amount: int, line_refunds: dict[int, tuple[int, int]]
) -> Order:
    """Money went back: count it on the order (and lines), and end or resume the order.
    `line_refunds` maps order line id → (quantity, amount). Call inside a transaction."""
    order = _any_order(number)
    Order.objects.filter(pk=order.pk).update(refunded_amount=F("refunded_amount") + amount)
    for line_id, (quantity, line_amount) in line_refunds.items():
        OrderLine.objects.filter(pk=line_id, order=order).update(
            refunded_quantity=F("refunded_quantity") + quantity,
            refunded_amount=F("refunded_amount") + line_amount,
        )
    order.refresh_from_db()
    fully = order.refunded_amount >= order.paid_amount
    if order.status == S.REFUNDING:
        target = S.REFUNDED if fully else S(order.resume_status or S.PAID)
        move(order, target, actor=Actor(None, "payment"), resume_status="")
    publish(
        events.OrderRefunded(
            order_number=number, buyer_id=order.buyer_id, amount=amount, fully=fully
        )
    )
    return order


def order_begin_refund(order: Order, *, actor: Actor, reason: str) -> Order:
    """Money is about to go back: the order waits in REFUNDING. Call inside a transaction."""
    if order.status == S.REFUNDING:
        return order
    return move(order, S.REFUNDING, actor=actor, reason=reason, resume_status=order.status)


def order_end_refund_attempt(order: Order, *, reason: str) -> Order:
    """The provider refused the refund: the order goes back to where it was."""
    if order.status != S.REFUNDING:
        return order
    return move(
        order,
        S(order.resume_status or S.PAID),
        actor=Actor(None, "payment"),
        reason=reason,
        resume_status="",
    )


# --- Historical imports ----------------------------------------------------------------------


@dataclass(frozen=True)
class HistoricalLineInput:
    sku_id: int
    product_id: int
    title: str
    quantity: int
    unit_price: int  # minor units
    total: int  # what was paid for the line; unit_price × quantity less a discount


@dataclass(frozen=True)
class HistoricalOrderInput:
    """An order of another system's history, placed, paid and completed at `placed_at`."""

    number: str
    buyer_id: int
    placed_at: datetime
    currency: str
    lines: list[HistoricalLineInput]
    region: str = ""


@dataclass(frozen=True)
class HistoricalImportResult:
    created: int
    existing: int


HISTORICAL_NUMBER_MAX = 24


def _check_historical(index: int, order: HistoricalOrderInput) -> None:
    where = f"orders[{index}]"
    if not order.number or len(order.number) > HISTORICAL_NUMBER_MAX:
        raise ValidationFailed(_("Enter a valid order number."), field=f"{where}.number")
    if order.placed_at.tzinfo is None:
        raise ValidationFailed(
            _("The time must carry a time zone."), code="naive_time", field=f"{where}.placed_at"
        )
    if not order.lines:
        raise ValidationFailed(
            _("An order needs at least one line."), code="no_lines", field=f"{where}.lines"
        )
    if len({line.sku_id for line in order.lines}) != len(order.lines):
        raise ValidationFailed(
            _("Each SKU may appear once per order."), code="duplicate_sku", field=f"{where}.lines"
        )
    for number, line in enumerate(order.lines):
        if line.quantity <= 0:
            raise ValidationFailed(
                _("Quantity must be at least 1."),
                code="invalid_quantity",
                field=f"{where}.lines[{number}].quantity",
            )
        if line.unit_price < 0 or not 0 <= line.total <= line.unit_price * line.quantity:
            raise ValidationFailed(
                _("The line total does not fit its price and quantity."),
                code="invalid_amount",
                field=f"{where}.lines[{number}].total",
            )


def orders_import_historical(*, orders: list[HistoricalOrderInput]) -> HistoricalImportResult:
    """Orders of a data-set import, in bulk and in one transaction: status completed, placed,
    paid and completed at their historical time, paid in full, one transition "imported".

    Nothing else happens: no stock is reserved, no payment started, no notification or
    domain event published (the importer records the historical analytics events itself).
    Orders whose number exists are left alone, so rerunning a chunk adds nothing."""
    for index, order in enumerate(orders):
        _check_historical(index, order)
    numbers = [order.number for order in orders]
    with transaction.atomic():
        existing = set(Order.objects.filter(number__in=numbers).values_list("number", flat=True))
        new = [order for order in orders if order.number not in existing]
        rows = Order.objects.bulk_create(
            [
                Order(
                    number=order.number,
                    buyer_id=order.buyer_id,
                    status=S.COMPLETED,
                    idempotency_key=f"import:{order.number}",
                    currency=order.currency,
                    list_subtotal=sum(line.unit_price * line.quantity for line in order.lines),
                    subtotal=sum(line.total for line in order.lines),
                    total=sum(line.total for line in order.lines),
                    paid_amount=sum(line.total for line in order.lines),
                    shipping_method="standard",
                    region=order.region[:40],
                    address=json.dumps({"country": order.region}, ensure_ascii=False),
                    placed_at=order.placed_at,
                    payment_deadline=order.placed_at,
                    paid_at=order.placed_at,
                    completed_at=order.placed_at,
                )
                for order in new
            ],
            batch_size=500,
        )
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order_id=row.pk,
                    sku_id=line.sku_id,
                    product_id=line.product_id,
                    title=line.title[:160],
                    title_en=line.title[:160],
                    list_price=line.unit_price,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                    discount=line.unit_price * line.quantity - line.total,
                    total=line.total,
                )
                for row, order in zip(rows, new, strict=True)
                for line in order.lines
            ],
            batch_size=2000,
        )
        OrderTransition.objects.bulk_create(
            [
                OrderTransition(
                    order_id=row.pk,
                    from_status="",
                    to_status=S.COMPLETED,
                    actor_kind="system",
                    reason="imported",
                    at=order.placed_at,
                )
                for row, order in zip(rows, new, strict=True)
            ],
            batch_size=2000,
        )
    return HistoricalImportResult(created=len(new), existing=len(existing))
