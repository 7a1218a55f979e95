"""Order reads. Every read by number is also scoped to the buyer (no IDOR); staff reads are
separate functions that the back office calls after its own permission check."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, QuerySet, Sum

from circlemart.core.crypto import mask_phone, mask_text
from circlemart.core.pagination import paginate
from circlemart.orders.contracts import (
    AnalyticsOrder,
    AnalyticsOrderLine,
    OrderLineMoney,
    OrderMoney,
    OrderRef,
    OrderStatus,
    PurchaseRef,
)
from circlemart.orders.models import AfterSalesRequest, Order, OrderLine, OrderTransition

DELIVERED_STATUSES = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)


@dataclass(frozen=True)
class OrderLineView:
    id: int
    sku_id: int
    product_id: int
    title: str
    title_en: str
    options: dict[str, str]
    cover: str
    list_price: int
    unit_price: int
    quantity: int
    discount: int
    total: int
    refunded_quantity: int
    refunded_amount: int


@dataclass(frozen=True)
class TransitionView:
    from_status: str
    to_status: str
    actor_kind: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class AfterSalesView:
    id: int
    kind: str
    reason: str
    detail: str
    amount: int
    status: str
    merchant_note: str
    lines: dict[str, int]
    photos: list[str]
    created_at: datetime


@dataclass(frozen=True)
class OrderView:
    number: str
    status: str
    buyer_id: int
    currency: str
    list_subtotal: int
    subtotal: int
    discount_total: int
    shipping_fee: int
    total: int
    paid_amount: int
    refunded_amount: int
    adjustments: list[dict[str, Any]]
    shipping_method: str
    address: dict[str, str]
    note: str
    carrier: str
    tracking_number: str
    placed_at: datetime
    payment_deadline: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    lines: list[OrderLineView]
    transitions: list[TransitionView]
    after_sales: list[AfterSalesView]
    fulfilment_hold: str = ""  # e.g. "group_buy": may not ship until released

    @property
    def shipping_base(self) -> int:
        """The fee before shipping-stage rules (free shipping) took their part."""
        taken = sum(a["amount"] for a in self.adjustments if a.get("stage") == "shipping")
        return self.shipping_fee + taken


def _line(line: OrderLine) -> OrderLineView:
    return OrderLineView(
        id=line.pk,
        sku_id=line.sku_id,
        product_id=line.product_id,
        title=line.title,
        title_en=line.title_en,
        options=dict(line.options or {}),
        cover=line.cover,
        list_price=line.list_price,
        unit_price=line.unit_price,
        quantity=line.quantity,
        discount=line.discount,
        total=line.total,
        refunded_quantity=line.refunded_quantity,
        refunded_amount=line.refunded_amount,
    )


def _after_sales(request: AfterSalesRequest) -> AfterSalesView:
    return AfterSalesView(
        id=request.pk,
        kind=request.kind,
        reason=request.reason,
        detail=request.detail,
        amount=request.amount,
        status=request.status,
        merchant_note=request.merchant_note,
        lines=dict(request.lines),
        photos=[photo.image.url for photo in request.photos.all()],
        created_at=request.created_at,
    )


def address_of(order: Order, *, masked: bool) -> dict[str, str]:
    address: dict[str, str] = json.loads(order.address or "{}")
    if masked:
        address["recipient"] = mask_text(address.get("recipient", ""))
        address["phone"] = mask_phone(address.get("phone", ""))
        address["detail"] = mask_text(address.get("detail", ""), visible=4)
    return address


def _view(order: Order, *, masked: bool = False) -> OrderView:
    return OrderView(
        number=order.number,
        status=order.status,
        buyer_id=order.buyer_id,
        currency=order.currency,
        list_subtotal=order.list_subtotal,
        subtotal=order.subtotal,
        discount_total=order.discount_total,
        shipping_fee=order.shipping_fee,
        total=order.total,
        paid_amount=order.paid_amount,
        refunded_amount=order.refunded_amount,
        adjustments=list(order.adjustments or []),
        shipping_method=order.shipping_method,
        address=address_of(order, masked=masked),
        note=order.note,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        placed_at=order.placed_at,
        payment_deadline=order.payment_deadline,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        completed_at=order.completed_at,
        cancelled_at=order.cancelled_at,
        cancel_reason=order.cancel_reason,
        fulfilment_hold=order.fulfilment_hold,
        lines=[_line(line) for line in order.lines.all()],
        transitions=[
            TransitionView(
                from_status=t.from_status,
                to_status=t.to_status,
                actor_kind=t.actor_kind,
                reason=t.reason,
                at=t.at,
            )
            for t in order.transitions.all()
        ],
        after_sales=[_after_sales(request) for request in order.after_sales.all()],
    )


def _with_children(query: QuerySet[Order]) -> QuerySet[Order]:
    return query.prefetch_related("lines", "transitions", "after_sales__photos")


def order_for_buyer(*, buyer_id: int, number: str) -> OrderView | None:
    order = _with_children(Order.objects.filter(number=number, buyer_id=buyer_id)).first()
    return _view(order) if order else None


def order_for_staff(number: str) -> OrderView | None:
    """The back office view: PII masked."""
    order = _with_children(Order.objects.filter(number=number)).first()
    return _view(order, masked=True) if order else None


def order_status(number: str) -> str | None:
    return Order.objects.filter(number=number).values_list("status", flat=True).first()


def order_ref(number: str) -> OrderRef | None:
    row = Order.objects.filter(number=number).values("id", "buyer_id", "currency").first()
    if row is None:
        return None
    return OrderRef(id=row["id"], number=number, buyer_id=row["buyer_id"], currency=row["currency"])


def order_numbers(order_ids: Iterable[int]) -> dict[int, str]:
    """Order id → number, in one query (links in the inbox)."""
    return dict(Order.objects.filter(pk__in=list(order_ids)).values_list("pk", "number"))


@dataclass(frozen=True)
class OrderPage:
    items: list[OrderView]
    next_cursor: str | None


def orders_of_buyer(
    *, buyer_id: int, status: str | None = None, cursor: str | None = None, limit: int = 20
) -> OrderPage:
    query = Order.objects.filter(buyer_id=buyer_id)
    if status:
        query = query.filter(status=status)
    page = paginate(
        _with_children(query), ordering=("-placed_at", "-id"), cursor=cursor, limit=limit
    )
    return OrderPage(items=[_view(order) for order in page.items], next_cursor=page.next_cursor)


def transitions_of(number: str) -> list[tuple[str, str]]:
    return list(
        OrderTransition.objects.filter(order__number=number)
        .order_by("id")
        .values_list("from_status", "to_status")
    )


def delivered_purchases(*, user_id: int, product_id: int) -> list[PurchaseRef]:
    """The buyer's delivered or completed order lines of this product, newest first."""
    rows = (
        OrderLine.objects.filter(
            order__buyer_id=user_id, product_id=product_id, order__status__in=DELIVERED_STATUSES
        )
        .select_related("order")
        .order_by("-order__delivered_at", "-id")
    )
    return [
        PurchaseRef(
            order_number=line.order.number,
            order_line_id=line.pk,
            product_id=line.product_id,
            sku_id=line.sku_id,
            delivered_at=line.order.delivered_at or line.order.placed_at,
        )
        for line in rows
    ]


def purchase_line(*, user_id: int, order_line_id: int) -> PurchaseRef | None:
    """One delivered line of the user's, or None (someone else's looks like a missing one)."""
    line = (
        OrderLine.objects.filter(
            pk=order_line_id, order__buyer_id=user_id, order__status__in=DELIVERED_STATUSES
        )
        .select_related("order")
        .first()
    )
    if line is None:
        return None
    return PurchaseRef(
        order_number=line.order.number,
        order_line_id=line.pk,
        product_id=line.product_id,
        sku_id=line.sku_id,
        delivered_at=line.order.delivered_at or line.order.placed_at,
    )


def after_sales_view(request_id: int) -> AfterSalesView:
    return _after_sales(AfterSalesRequest.objects.prefetch_related("photos").get(pk=request_id))


def product_buyer_ids(
    *, product_id: int, limit: int, exclude_user_id: int | None = None
) -> list[int]:
    """Distinct buyers who received this product, most recent delivery first (Q&A invites)."""
    rows = (
        OrderLine.objects.filter(product_id=product_id, order__status__in=DELIVERED_STATUSES)
        .exclude(order__buyer_id=exclude_user_id)
        .order_by("-order__delivered_at", "-id")
        .values_list("order__buyer_id", flat=True)[: limit * 5]
    )
    buyers: list[int] = []
    for buyer_id in rows:
        if buyer_id not in buyers:
            buyers.append(buyer_id)
        if len(buyers) >= limit:
            break
    return buyers


def buyer_has_paid_order(*, buyer_id: int) -> bool:
    """Whether the buyer has ever paid for an order (later refunds included)."""
    return Order.objects.filter(buyer_id=buyer_id, paid_at__isnull=False).exists()


def order_for_analytics(number: str) -> AnalyticsOrder | None:
    """The order's totals and lines for the event log (two queries). Not scoped to a viewer:
    only server-side tracking calls it, never a request."""
    order = Order.objects.filter(number=number).prefetch_related("lines").first()
    if order is None:
        return None
    return AnalyticsOrder(
        number=order.number,
        buyer_id=order.buyer_id,
        currency=order.currency,
        total=order.total,
        paid_amount=order.paid_amount,
        refunded_amount=order.refunded_amount,
        attribution={str(key): str(value) for key, value in (order.attribution or {}).items()},
        lines=tuple(
            AnalyticsOrderLine(
                line_id=line.pk,
                product_id=line.product_id,
                sku_id=line.sku_id,
                quantity=line.quantity,
                total=line.total,
            )
            for line in order.lines.all()
        ),
    )


def orders_for_analytics() -> Iterator[Mapping[str, Any]]:
    """Every order's header facts for the analytics warehouse snapshot: id, number, buyer_id,
    status, source (cart | buy_now), attribution (dict), currency, total, paid_amount,
    refunded_amount, placed_at, paid_at, shipped_at, delivered_at, completed_at,
    cancelled_at, closed_at. Streamed in id order; no address or note."""
    rows = Order.objects.order_by("pk").values(
        "id",
        "number",
        "buyer_id",
        "status",
        "source",
        "attribution",
        "currency",
        "total",
        "paid_amount",
        "refunded_amount",
        "placed_at",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "completed_at",
        "cancelled_at",
        "closed_at",
    )
    yield from rows.iterator(chunk_size=5000)


def order_lines_for_analytics() -> Iterator[Mapping[str, Any]]:
    """Every order line for the analytics warehouse snapshot: id, order_id, product_id,
    sku_id, unit_price, quantity, total, refunded_quantity, refunded_amount (minor units).
    Streamed in id order."""
    rows = OrderLine.objects.order_by("pk").values(
        "id",
        "order_id",
        "product_id",
        "sku_id",
        "unit_price",
        "quantity",
        "total",
        "refunded_quantity",
        "refunded_amount",
    )
    yield from rows.iterator(chunk_size=5000)


def _line_money(line: OrderLine) -> OrderLineMoney:
    return OrderLineMoney(
        line_id=line.pk,
        product_id=line.product_id,
        sku_id=line.sku_id,
        quantity=line.quantity,
        total=line.total,
        refunded_amount=line.refunded_amount,
    )


def order_money(number: str) -> OrderMoney | None:
    """An order's paid and refunded amounts, per line (two queries). For server-side
    settlement (commission, points), never for a request."""
    order = Order.objects.filter(number=number).prefetch_related("lines").first()
    return None if order is None else _order_money(order)


# Paid and still open to after-sales: what growth shows as points on their way.
AFTER_SALES_OPEN_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
    OrderStatus.REFUNDING,
)


def orders_awaiting_after_sales_close(*, buyer_id: int, limit: int = 200) -> list[OrderMoney]:
    """The buyer's paid orders whose after-sales window has not closed yet, newest first (two
    queries). For the buyer's own pages: scoped to `buyer_id`."""
    orders = (
        Order.objects.filter(
            buyer_id=buyer_id,
            paid_at__isnull=False,
            after_sales_closed_at__isnull=True,
            status__in=AFTER_SALES_OPEN_STATUSES,
        )
        .prefetch_related("lines")
        .order_by("-placed_at", "-id")[:limit]
    )
    return [_order_money(order) for order in orders]


def _order_money(order: Order) -> OrderMoney:
    return OrderMoney(
        number=order.number,
        buyer_id=order.buyer_id,
        status=order.status,
        currency=order.currency,
        total=order.total,
        shipping_fee=order.shipping_fee,
        paid_amount=order.paid_amount,
        refunded_amount=order.refunded_amount,
        placed_at=order.placed_at,
        paid_at=order.paid_at,
        after_sales_closed_at=order.after_sales_closed_at,
        attribution={str(key): str(value) for key, value in (order.attribution or {}).items()},
        lines=tuple(_line_money(line) for line in order.lines.all()),
    )


# --- Merchant home dashboard (the back office's first page) ---------------------------------


@dataclass(frozen=True)
class SalesFigures:
    """One period's takings: orders placed, orders paid and the money they paid (minor units)."""

    placed: int
    paid: int
    gmv: int


def sales_between(*, start: datetime, end: datetime) -> SalesFigures:
    """Orders placed and paid in [start, end): two aggregate queries."""
    placed = Order.objects.filter(placed_at__gte=start, placed_at__lt=end).count()
    paid = Order.objects.filter(paid_at__gte=start, paid_at__lt=end).aggregate(
        count=Count("id"), total=Sum("paid_amount")
    )
    return SalesFigures(placed=placed, paid=paid["count"] or 0, gmv=paid["total"] or 0)


def orders_to_ship_count() -> int:
    """Paid orders the merchant may ship now (not held back by an unfilled group buy)."""
    return Order.objects.filter(status=OrderStatus.PAID, fulfilment_hold="").count()


def aftersales_waiting_count() -> int:
    """After-sales requests waiting for the merchant: new ones and returns that came back."""
    return AfterSalesRequest.objects.filter(
        status__in=[AfterSalesRequest.Status.REQUESTED, AfterSalesRequest.Status.RETURN_SHIPPED]
    ).count()


# --- Recommendation conversions (recommend.selectors.stats) ---------------------------------


def paid_purchases_between(
    *, buyer_ids: Iterable[int], product_ids: Iterable[int], paid_from: datetime, paid_to: datetime
) -> list[tuple[int, int, datetime]]:
    """(buyer_id, product_id, paid_at) of the order lines of these products that these buyers
    paid for in [paid_from, paid_to] (later refunds included), oldest first. Buyers are asked
    for in chunks, so a long list stays under the database's parameter limit."""
    buyers, products = sorted(set(buyer_ids)), sorted(set(product_ids))
    rows: list[tuple[int, int, datetime]] = []
    for start in range(0, len(buyers), 500):
        chunk = (
            OrderLine.objects.filter(
                order__buyer_id__in=buyers[start : start + 500],
                product_id__in=products,
                order__paid_at__gte=paid_from,
                order__paid_at__lte=paid_to,
            )
            .order_by("order__paid_at", "id")
            .values_list("order__buyer_id", "product_id", "order__paid_at")
        )
        rows.extend(
            (int(buyer), int(product), paid_at)
            for buyer, product, paid_at in chunk
            if paid_at is not None  # the filter on paid_at already excludes unpaid orders
        )
    rows.sort(key=lambda row: row[2])
    return rows


def paid_lines_for_recommendations(
    *, since: datetime, chunk_size: int = 5000
) -> Iterator[tuple[int, int, int, datetime]]:
    """Paid order lines since `since`, less those refunded in full, for training the
    recommender: (buyer_id, product_id, order_id, paid_at), streamed in line id order."""
    from django.db.models import F

    rows = (
        OrderLine.objects.filter(order__paid_at__isnull=False, order__paid_at__gte=since)
        .exclude(refunded_quantity=F("quantity"))
        .order_by("pk")
        .values_list("order__buyer_id", "product_id", "order_id", "order__paid_at")
    )
    for buyer_id, product_id, order_id, paid_at in rows.iterator(chunk_size=chunk_size):
        if paid_at is not None:  # always, by the filter; says so to the type checker
            yield buyer_id, product_id, order_id, paid_at


def paid_products_of(*, buyer_ids: Iterable[int]) -> dict[int, dict[int, datetime]]:
    """buyer id → (product id → when that buyer last paid for it), in one query; refunded lines
    included (they were bought). What recommendations leave out or offer again."""
    rows = (
        OrderLine.objects.filter(order__buyer_id__in=set(buyer_ids), order__paid_at__isnull=False)
        .values("order__buyer_id", "product_id")
        .annotate(last_paid=Max("order__paid_at"))
    )
    bought: dict[int, dict[int, datetime]] = {}
    for row in rows:
        bought.setdefault(row["order__buyer_id"], {})[row["product_id"]] = row["last_paid"]
    return bought
