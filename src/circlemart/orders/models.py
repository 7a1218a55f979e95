"""Orders, their lines and every state change; after-sales requests and their history.

Money columns are integer minor units. CHECK constraints hold the arithmetic: a line's total
is its units less its discount, an order's total is goods less discounts plus shipping, and
nothing is ever refunded beyond what was paid."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from circlemart.core.crypto import EncryptedTextField
from circlemart.orders.contracts import OrderStatus

STATUS_CHOICES = [
    (OrderStatus.PENDING_PAYMENT.value, _("Awaiting payment")),
    (OrderStatus.PAID.value, _("Paid")),
    (OrderStatus.SHIPPED.value, _("Shipped")),
    (OrderStatus.DELIVERED.value, _("Delivered")),
    (OrderStatus.COMPLETED.value, _("Completed")),
    (OrderStatus.CANCELLED.value, _("Cancelled")),
    (OrderStatus.REFUNDING.value, _("Refunding")),
    (OrderStatus.REFUNDED.value, _("Refunded")),
    (OrderStatus.CLOSED.value, _("Closed")),
]


class Order(models.Model):
    class Source(models.TextChoices):
        CART = "cart", _("Cart")
        BUY_NOW = "buy_now", _("Buy now")

    number = models.CharField(_("order number"), max_length=24, unique=True)
    buyer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        _("status"), max_length=16, choices=STATUS_CHOICES, default=OrderStatus.PENDING_PAYMENT
    )
    # The status to return to when a partial refund finishes.
    resume_status = models.CharField(max_length=16, blank=True, default="")
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.CART
    )
    idempotency_key = models.CharField(max_length=128, blank=True, default="")
    currency = models.CharField(max_length=3)
    list_subtotal = models.BigIntegerField(_("list subtotal"))
    subtotal = models.BigIntegerField(_("subtotal"))
    discount_total = models.BigIntegerField(_("discounts"), default=0)
    shipping_fee = models.BigIntegerField(_("shipping"), default=0)
    total = models.BigIntegerField(_("total"))
    paid_amount = models.BigIntegerField(_("paid"), default=0)
    refunded_amount = models.BigIntegerField(_("refunded"), default=0)
    adjustments = models.JSONField(default=list, blank=True)  # the quote's explanation
    shipping_method = models.CharField(_("shipping method"), max_length=10)
    region = models.CharField(_("region"), max_length=40, blank=True, default="")
    address = EncryptedTextField(_("shipping address"))  # JSON snapshot, encrypted at rest
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    attribution = models.JSONField(default=dict, blank=True)
    carrier = models.CharField(_("carrier"), max_length=40, blank=True, default="")
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True, default="")
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True, default="")
    # Set while something outside orders must happen before the goods may ship (a group buy
    # waiting to fill); order_ship refuses until it is released.
    fulfilment_hold = models.CharField(_("fulfilment hold"), max_length=16, blank=True, default="")
    placed_at = models.DateTimeField(_("placed at"))
    payment_deadline = models.DateTimeField(_("pay by"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # When the after-sales window of a completed order ran out: what was kept is final
    # (commission and purchase points settle on it).
    after_sales_closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(total=F("subtotal") - F("discount_total") + F("shipping_fee")),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(discount_total__gte=0, discount_total__lte=F("subtotal")),
                name="order_discount_within_subtotal",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("paid_amount")),
                name="order_refund_within_paid",
            ),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="order_paid_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=[value for value, _label in STATUS_CHOICES]),
                name="order_status_known",
            ),
            models.UniqueConstraint(
                fields=["buyer", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_order_per_checkout_key",
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "-placed_at", "-id"], name="orders_of_buyer"),
            models.Index(
                fields=["payment_deadline"],
                name="orders_unpaid_due",
                condition=Q(status="pending_payment"),
            ),
            models.Index(fields=["status", "shipped_at"], name="orders_by_status_shipped"),
            models.Index(fields=["status", "delivered_at"], name="orders_by_status_delivered"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=160)
    title_en = models.CharField(max_length=160, blank=True, default="")
    options = models.JSONField(default=dict, blank=True)
    cover = models.CharField(max_length=300, blank=True, default="")
    list_price = models.BigIntegerField()
    unit_price = models.BigIntegerField()
    quantity = models.PositiveIntegerField(_("quantity"))
    discount = models.BigIntegerField(default=0)
    total = models.BigIntegerField()
    refunded_quantity = models.PositiveIntegerField(_("refunded quantity"), default=0)
    refunded_amount = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="line_price_not_negative"),
            models.CheckConstraint(
                condition=Q(total=F("unit_price") * F("quantity") - F("discount")),
                name="line_total_adds_up",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="line_total_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_quantity__lte=F("quantity")),
                name="line_refund_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("total")),
                name="line_refund_within_total",
            ),
            models.UniqueConstraint(fields=["order", "sku"], name="one_line_per_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"


class OrderTransition(models.Model):
    """Who moved an order from which status to which, when and why. Append-only."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, blank=True, default="")
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_kind = models.CharField(_("by"), max_length=10)  # buyer | staff | system | payment
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("order transition")
        verbose_name_plural = _("order transitions")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '∅'} → {self.to_status}"


class AfterSalesRequest(models.Model):
    class Kind(models.TextChoices):
        REFUND_ONLY = "refund_only", _("Refund only")
        RETURN_AND_REFUND = "return_refund", _("Return and refund")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        AWAITING_RETURN = "awaiting_return", _("Awaiting return")
        RETURN_SHIPPED = "return_shipped", _("Return shipped")
        REFUNDING = "refunding", _("Refunding")
        REFUNDED = "refunded", _("Refunded")
        REJECTED = "rejected", _("Rejected")
        ESCALATED = "escalated", _("Escalated to an operator")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Reason(models.TextChoices):
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        DAMAGED = "damaged", _("Damaged or defective")
        WRONG_ITEM = "wrong_item", _("Wrong item sent")
        NOT_RECEIVED = "not_received", _("Not received")
        CHANGED_MIND = "changed_mind", _("Changed my mind")
        OTHER = "other", _("Other")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="after_sales")
    buyer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True, default="")
    lines = models.JSONField(default=dict)  # {order line id: quantity}
    amount = models.BigIntegerField(_("refund amount"))
    restock = models.BooleanField(_("restock returned goods"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    merchant_note = models.CharField(_("merchant note"), max_length=300, blank=True, default="")
    return_carrier = models.CharField(max_length=40, blank=True, default="")
    return_tracking = models.CharField(max_length=40, blank=True, default="")
    refund_reference = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("after-sales request")
        verbose_name_plural = _("after-sales requests")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="aftersales_amount_positive"),
            models.UniqueConstraint(
                fields=["order"],
                condition=~Q(status__in=["refunded", "closed", "cancelled"]),
                name="one_open_aftersales_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.order_id} {self.status}"


class AfterSalesPhoto(models.Model):
    request = models.ForeignKey(AfterSalesRequest, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="aftersales/%Y/%m/")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.image.name or ""


class AfterSalesTransition(models.Model):
    request = models.ForeignKey(
        AfterSalesRequest, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=16, blank=True, default="")
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_kind = models.CharField(max_length=10)
    reason = models.CharField(max_length=300, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status or '∅'} → {self.to_status}"
