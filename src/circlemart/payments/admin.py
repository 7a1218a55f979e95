"""Back office for payments: read-only views of payments, refunds and webhook receipts (and of
the test gateway's own books). Money moves only through the services, never by editing rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from circlemart.core.admin_widgets import currency_of, money_display
from circlemart.core.money import Money, babel_locale
from circlemart.payments.models import (
    GatewayCharge,
    GatewayRefund,
    GatewayWebhook,
    Payment,
    Refund,
    WebhookReceipt,
)


def money(amount: int, currency: str) -> str:
    return Money(amount, currency).format(babel_locale(get_language()))


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class RefundInline(TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("reference", "amount_shown", "status", "provider_refund_id", "created_at")
    readonly_fields = fields
    amount_shown = money_display("amount", _("amount"), currency=currency_of())
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "order_number",
        "buyer_id",
        "amount_display",
        "refunded_display",
        "status",
        "is_late_capture",
        "provider",
        "created_at",
    )
    list_filter = ("status", "provider", "is_late_capture")
    search_fields = ("order_number", "provider_payment_id", "=buyer_id")
    date_hierarchy = "created_at"
    inlines = (RefundInline,)
    readonly_fields = (
        "order_number",
        "buyer_id",
        "amount_display",
        "refunded_display",
        "status",
        "is_late_capture",
        "provider",
        "provider_payment_id",
        "redirect_url",
        "return_url",
        "idempotency_key",
        "failure_reason",
        "created_at",
        "updated_at",
        "captured_at",
        "closed_at",
    )
    fields = readonly_fields

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, payment: Payment) -> str:
        return money(payment.amount, payment.currency)

    @admin.display(description=_("refunded or reserved"), ordering="refunded_amount")
    def refunded_display(self, payment: Payment) -> str:
        return money(payment.refunded_amount, payment.currency)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "order_number",
        "reference",
        "amount_display",
        "status",
        "provider_refund_id",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("order_number", "reference", "provider_refund_id")
    readonly_fields = (
        "payment",
        "order_number",
        "reference",
        "amount_display",
        "reason",
        "status",
        "provider_refund_id",
        "failure_reason",
        "submit_attempts",
        "created_at",
        "updated_at",
        "completed_at",
    )
    fields = readonly_fields

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, refund: Refund) -> str:
        return money(refund.amount, refund.currency)


@admin.register(WebhookReceipt)
class WebhookReceiptAdmin(ReadOnlyAdmin):
    list_display = ("provider_event_id", "provider", "event_type", "outcome", "received_at")
    list_filter = ("provider", "event_type", "outcome")
    search_fields = ("provider_event_id",)
    readonly_fields = ("provider", "provider_event_id", "event_type", "outcome", "payload")
    fields = readonly_fields


@admin.register(GatewayCharge)
class GatewayChargeAdmin(ReadOnlyAdmin):
    list_display = ("charge_id", "merchant_reference", "amount_display", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("charge_id", "merchant_reference", "description")

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, charge: GatewayCharge) -> str:
        return money(charge.amount, charge.currency)


@admin.register(GatewayRefund)
class GatewayRefundAdmin(ReadOnlyAdmin):
    list_display = ("refund_id", "charge", "amount_shown", "status", "created_at")
    amount_shown = money_display("amount", _("amount"))
    list_filter = ("status",)
    search_fields = ("refund_id", "merchant_reference")


@admin.register(GatewayWebhook)
class GatewayWebhookAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "event_type", "status", "attempts", "last_response_status")
    list_filter = ("status", "event_type")
    search_fields = ("event_id",)
