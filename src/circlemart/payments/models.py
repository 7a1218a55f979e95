"""Tables of payments: the app side (Payment, Refund, WebhookReceipt) and, prefixed Gateway…,
the provider side of the built-in test gateway, which plays an external provider's own books."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from circlemart.payments.contracts import PaymentStatus, RefundStatus

LIVE_STATUSES = (PaymentStatus.CREATED, PaymentStatus.CAPTURED)


class Payment(models.Model):
    """One attempt to take the money for one order at one provider."""

    class Status(models.TextChoices):
        CREATED = PaymentStatus.CREATED.value, pgettext_lazy("payment status", "created")
        CAPTURED = PaymentStatus.CAPTURED.value, pgettext_lazy("payment status", "captured")
        FAILED = PaymentStatus.FAILED.value, pgettext_lazy("payment status", "failed")
        CANCELLED = PaymentStatus.CANCELLED.value, pgettext_lazy("payment status", "cancelled")

    order_number = models.CharField(_("order number"), max_length=40, db_index=True)
    # A plain id, not a foreign key: payment records outlive the buyer's account.
    buyer_id = models.BigIntegerField(_("buyer id"), db_index=True)
    amount = models.BigIntegerField(_("amount"))  # minor units
    currency = models.CharField(_("currency"), max_length=3)
    provider = models.CharField(_("provider"), max_length=40)
    provider_payment_id = models.CharField(
        _("provider payment id"), max_length=100, blank=True, default=""
    )
    # Signed provider links are long (an Alipay page-pay URL is ~1,000 characters).
    redirect_url = models.CharField(_("pay page URL"), max_length=2048, blank=True, default="")
    # What the buyer scans with the provider's app, when it pays by QR code (WeChat Native).
    qr_code = models.CharField(_("QR code content"), max_length=500, blank=True, default="")
    return_url = models.CharField(_("return URL"), max_length=500)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CREATED
    )
    # Reserved by pending refunds plus refunded by succeeded ones; moved only by conditional
    # UPDATEs and bounded by a CHECK, so captured-minus-refunded can never go negative.
    refunded_amount = models.BigIntegerField(_("refunded amount"), default=0)
    # A capture that arrived after the payment was cancelled or failed: money was taken and
    # is recorded, and it does not count as the order's one live payment.
    is_late_capture = models.BooleanField(_("late capture"), default=False)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    captured_at = models.DateTimeField(_("captured at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("failed or cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ("-id",)
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_payment_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="payments_payment_refunded_within_amount",
            ),
            # Two concurrent payment_start calls cannot open two charges for one order.
            models.UniqueConstraint(
                fields=["order_number"],
                condition=Q(status__in=[status.value for status in LIVE_STATUSES])
                & Q(is_late_capture=False),
                name="payments_one_live_payment_per_order",
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="payments_payment_provider_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_number} #{self.pk} ({self.status})"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = RefundStatus.PENDING.value, pgettext_lazy("refund status", "pending")
        SUCCEEDED = RefundStatus.SUCCEEDED.value, pgettext_lazy("refund status", "succeeded")
        FAILED = RefundStatus.FAILED.value, pgettext_lazy("refund status", "failed")

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    order_number = models.CharField(_("order number"), max_length=40)
    amount = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    # The caller's reference: a retried refund with the same reference is the same refund.
    reference = models.CharField(_("reference"), max_length=128)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    provider_refund_id = models.CharField(
        _("provider refund id"), max_length=100, blank=True, default="", db_index=True
    )
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True, default="")
    submit_attempts = models.PositiveIntegerField(_("submit attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ("-id",)
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_refund_amount_gt_0"),
            models.UniqueConstraint(
                fields=["order_number", "reference"], name="payments_refund_reference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_number} {self.reference} ({self.status})"


class WebhookReceipt(models.Model):
    """One row per provider event applied: a replayed event finds its row and is ignored."""

    provider = models.CharField(_("provider"), max_length=40)
    provider_event_id = models.CharField(_("provider event id"), max_length=100)
    event_type = models.CharField(_("event type"), max_length=60)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True, default="")
    payload = models.JSONField(_("payload"), default=dict)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook receipt")
        verbose_name_plural = _("webhook receipts")
        ordering = ("-id",)
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_event_id"], name="payments_webhook_receipt_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_event_id} {self.event_type}"


# --- The test gateway's own books (what an external provider keeps on its side) ---------------


class GatewayCharge(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("gateway charge status", "pending")
        SUCCEEDED = "succeeded", pgettext_lazy("gateway charge status", "succeeded")
        FAILED = "failed", pgettext_lazy("gateway charge status", "failed")
        CANCELLED = "cancelled", pgettext_lazy("gateway charge status", "cancelled")

    charge_id = models.CharField(_("charge id"), max_length=40, unique=True)
    token = models.CharField(_("pay page token"), max_length=64, unique=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    merchant_reference = models.CharField(_("merchant reference"), max_length=100)
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    amount = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    return_url = models.CharField(_("merchant return URL"), max_length=500)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    refunded_amount = models.BigIntegerField(_("refunded amount"), default=0)
    # Test controls: how this charge misbehaves.
    fail_payment = models.BooleanField(_("fail the payment"), default=False)
    fail_refunds = models.BooleanField(_("fail refunds"), default=False)
    webhook_delay_seconds = models.PositiveIntegerField(_("webhook delay (seconds)"), default=0)
    duplicate_webhooks = models.BooleanField(_("send webhooks twice"), default=False)
    out_of_order = models.BooleanField(_("send stale events after the final one"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("test gateway charge")
        verbose_name_plural = _("test gateway charges")
        ordering = ("-id",)
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_gwcharge_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="payments_gwcharge_refunded_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.charge_id} ({self.status})"


class GatewayRefund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("gateway refund status", "pending")
        SUCCEEDED = "succeeded", pgettext_lazy("gateway refund status", "succeeded")
        FAILED = "failed", pgettext_lazy("gateway refund status", "failed")

    refund_id = models.CharField(_("refund id"), max_length=40, unique=True)
    charge = models.ForeignKey(
        GatewayCharge, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("charge")
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    merchant_reference = models.CharField(_("merchant reference"), max_length=100)
    amount = models.BigIntegerField(_("amount"))
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("test gateway refund")
        verbose_name_plural = _("test gateway refunds")
        ordering = ("-id",)
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_gwrefund_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.refund_id} ({self.status})"


class GatewayWebhook(models.Model):
    """One delivery of one event. A duplicated event is two rows with the same event id."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("gateway webhook status", "pending")
        DELIVERED = "delivered", pgettext_lazy("gateway webhook status", "delivered")
        GAVE_UP = "gave_up", pgettext_lazy("gateway webhook status", "gave up")

    event_id = models.CharField(_("event id"), max_length=40, db_index=True)
    event_type = models.CharField(_("event type"), max_length=60)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    countdown_seconds = models.PositiveIntegerField(_("first delivery delay"), default=0)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_response_status = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("test gateway webhook")
        verbose_name_plural = _("test gateway webhooks")
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"


class GatewayPayout(models.Model):
    """A transfer the test gateway made to a payee (a distributor's withdrawal), once per key."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", pgettext_lazy("gateway payout status", "succeeded")
        FAILED = "failed", pgettext_lazy("gateway payout status", "failed")

    payout_id = models.CharField(_("payout id"), max_length=40, unique=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    merchant_reference = models.CharField(_("merchant reference"), max_length=100)
    payee = models.CharField(_("payee"), max_length=100)
    amount = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("test gateway payout")
        verbose_name_plural = _("test gateway payouts")
        ordering = ("-id",)
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_gwpayout_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.payout_id} ({self.status})"


class GatewayPayee(models.Model):
    """Test control: how the test gateway treats payouts to one payee."""

    payee = models.CharField(_("payee"), max_length=100, unique=True)
    fail_payouts = models.BooleanField(_("fail payouts"), default=False)

    class Meta:
        verbose_name = _("test gateway payee")
        verbose_name_plural = _("test gateway payees")

    def __str__(self) -> str:
        return self.payee
