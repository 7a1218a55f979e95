"""Back office for orders and after-sales: everything is read-only; staff act through actions
that call the services (ship, cancel unpaid, approve, reject, receive a return, retry a refund),
so the state machine, stock and money rules hold here exactly as in the shop.

The shipping address is always shown masked (selectors.address_of(masked=True)); the encrypted
address column itself is never rendered."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.forms import BoundField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display

from circlemart.core.admin_widgets import MoneyField, options_text
from circlemart.core.errors import DomainError
from circlemart.core.money import Money, babel_locale
from circlemart.orders import aftersales, machine, selectors, services
from circlemart.orders.contracts import OrderStatus
from circlemart.orders.models import (
    AfterSalesPhoto,
    AfterSalesRequest,
    AfterSalesTransition,
    Order,
    OrderLine,
    OrderTransition,
)
from circlemart.payments import selectors as payment_selectors
from circlemart.pricing import selectors as pricing_selectors

R = AfterSalesRequest.Status
ORDER_STATUS_COLOURS = {
    OrderStatus.PENDING_PAYMENT.value: "warning",
    OrderStatus.PAID.value: "info",
    OrderStatus.SHIPPED.value: "info",
    OrderStatus.DELIVERED.value: "success",
    OrderStatus.COMPLETED.value: "success",
    OrderStatus.REFUNDING.value: "warning",
    OrderStatus.REFUNDED.value: "danger",
    OrderStatus.CANCELLED.value: "default",
    OrderStatus.CLOSED.value: "default",
}
REQUEST_STATUS_COLOURS = {
    R.REQUESTED.value: "warning",
    R.APPROVED.value: "info",
    R.AWAITING_RETURN.value: "info",
    R.RETURN_SHIPPED.value: "warning",
    R.REFUNDING.value: "info",
    R.REFUNDED.value: "success",
    R.REJECTED.value: "default",
    R.ESCALATED.value: "danger",  # the operator queue stands out
    R.CLOSED.value: "default",
    R.CANCELLED.value: "default",
}
CARRIERS = ("顺丰 SF Express", "中通 ZTO", "圆通 YTO", "韵达 Yunda", "京东 JD Logistics", "EMS")
THUMBNAIL_SIDE = 64
# The payments app's own words for its states (the same msgids and contexts as its models).
PAYMENT_STATUSES = {
    "created": pgettext_lazy("payment status", "created"),
    "captured": pgettext_lazy("payment status", "captured"),
    "failed": pgettext_lazy("payment status", "failed"),
    "cancelled": pgettext_lazy("payment status", "cancelled"),
}
REFUND_STATUSES = {
    "pending": pgettext_lazy("refund status", "pending"),
    "succeeded": pgettext_lazy("refund status", "succeeded"),
    "failed": pgettext_lazy("refund status", "failed"),
}
ACTOR_KINDS = {
    "buyer": _("buyer"),
    "staff": _("merchant staff"),
    "system": _("system"),
    "payment": _("payment"),
}


def money(amount: int, currency: str) -> str:
    return Money(amount, currency).format(babel_locale(get_language()))


def may_manage(request: HttpRequest) -> bool:
    """Merchant staff (and admins): the permission the order services check themselves."""
    return bool(request.user.has_perm(services.MANAGE_PERMISSION))


def operator_id(request: HttpRequest) -> int:
    """The signed-in operator's id (the admin only lets signed-in staff this far)."""
    user_id = request.user.pk
    assert isinstance(user_id, int)
    return user_id


def report_refusal(
    model_admin: admin.ModelAdmin[Any], request: HttpRequest, label: str, error: DomainError
) -> None:
    model_admin.message_user(request, f"{label}: {error.message}", messages.ERROR)


def report_done(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    done: Any,
    count: int,
) -> None:
    """`done` is an ngettext_lazy(singular, plural, "count") message."""
    if count:
        model_admin.message_user(request, str(done % {"count": count}), messages.SUCCESS)


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    hide_title = True  # each row's str() (e.g. "2: ø → pending_payment") repeats the columns

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ManagedThroughServices(ModelAdmin):
    """Nobody adds, edits or deletes rows here; actions (permission "manage") call services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_manage_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_manage(request)


# --- Orders -----------------------------------------------------------------------------------


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "title_shown",
        "options_shown",
        "unit_price_shown",
        "quantity",
        "discount_shown",
        "total_shown",
        "refunded_quantity",
        "refunded_shown",
    )
    readonly_fields = fields

    @admin.display(description=_("product"))
    def title_shown(self, line: OrderLine) -> SafeString:
        return format_html('<span translate="no">{}</span>', line.title)

    @admin.display(description=_("options"))
    def options_shown(self, line: OrderLine) -> str:
        """{"颜色": "红", "尺码": "M"} → "颜色: 红 / 尺码: M" (the raw JSON showed \\u escapes)."""
        return options_text(line.options)

    @admin.display(description=_("unit price"))
    def unit_price_shown(self, line: OrderLine) -> str:
        return money(line.unit_price, line.order.currency)

    @admin.display(description=_("discount"))
    def discount_shown(self, line: OrderLine) -> str:
        return money(line.discount, line.order.currency)

    @admin.display(description=_("total"))
    def total_shown(self, line: OrderLine) -> str:
        return money(line.total, line.order.currency)

    @admin.display(description=_("refunded"))
    def refunded_shown(self, line: OrderLine) -> str:
        return money(line.refunded_amount, line.order.currency)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderLine]:
        return super().get_queryset(request).select_related("order")


class OrderTransitionInline(ReadOnlyInline):
    model = OrderTransition
    fields = ("at", "from_shown", "to_shown", "actor_kind_shown", "actor", "reason")
    readonly_fields = fields
    verbose_name_plural = _("history")

    @admin.display(description=_("by"))
    def actor_kind_shown(self, transition: OrderTransition) -> str:
        return str(ACTOR_KINDS.get(transition.actor_kind, transition.actor_kind))

    @admin.display(description=_("from"))
    def from_shown(self, transition: OrderTransition) -> str:
        return machine.label(transition.from_status) if transition.from_status else "—"

    @admin.display(description=_("to"))
    def to_shown(self, transition: OrderTransition) -> str:
        return machine.label(transition.to_status)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderTransition]:
        return super().get_queryset(request).select_related("actor")


class ShipmentsForm(forms.Form):
    """A carrier and a tracking number for each selected order. The service validates them."""

    def __init__(self, *args: Any, orders: Sequence[Order], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.orders = list(orders)
        for order in self.orders:
            self.fields[f"carrier_{order.pk}"] = forms.CharField(
                label=_("carrier"),
                max_length=40,
                required=False,
                widget=forms.TextInput(attrs={"list": "carriers", "autocomplete": "off"}),
            )
            self.fields[f"tracking_{order.pk}"] = forms.CharField(
                label=_("tracking number"), max_length=40, required=False
            )

    def rows(self) -> list[tuple[Order, bool, BoundField, BoundField]]:
        return [
            (
                order,
                order.status == OrderStatus.PAID,
                self[f"carrier_{order.pk}"],
                self[f"tracking_{order.pk}"],
            )
            for order in self.orders
        ]

    def shipment(self, order: Order) -> tuple[str, str]:
        carrier = self.cleaned_data.get(f"carrier_{order.pk}") or ""
        tracking = self.cleaned_data.get(f"tracking_{order.pk}") or ""
        return carrier, tracking


class ShipForm(forms.Form):
    carrier = forms.ChoiceField(
        label=_("carrier"), choices=[("", "—")] + [(name, name) for name in CARRIERS]
    )
    tracking_number = forms.RegexField(
        label=_("tracking number"),
        max_length=40,
        min_length=6,
        regex=r"^[A-Za-z0-9-]+$",
        error_messages={"invalid": _("Use letters, digits and dashes only.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-testid": "tracking-number"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason shown to the buyer"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RefundForm(forms.Form):
    amount = MoneyField(label=_("Refund amount"))
    reason = forms.CharField(
        label=_("Reason shown to the buyer"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, ceiling: int, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["amount"]
        assert isinstance(field, MoneyField)
        field.min_value, field.max_value, field.currency = 1, ceiling, currency
        field.initial = ceiling
        field.help_text = _("At most %(max)s.") % {"max": money(ceiling, currency)}


@admin.register(Order)
class OrderAdmin(ManagedThroughServices):
    list_display = (
        "number",
        "buyer_shown",
        "status_shown",
        "total_shown",
        "shipping_method_shown",
        "placed_at",
        "paid_at",
    )
    list_filter = ("status", "fulfilment_hold", "shipping_method", "placed_at")
    search_fields = ("number", "buyer__email")
    list_select_related = ("buyer",)
    ordering = ("-placed_at", "-id")
    actions = ("ship", "cancel_unpaid")
    actions_detail = ("ship_one", "cancel_one", "refund_one")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number",
                    "buyer_shown",
                    "status_text",
                    "source",
                    "placed_at",
                    "payment_deadline",
                    "paid_at",
                    "shipped_at",
                    "delivered_at",
                    "completed_at",
                    "cancelled_at",
                    "closed_at",
                    "cancel_reason",
                    "fulfilment_hold",
                )
            },
        ),
        (
            _("Amounts"),
            {
                "fields": (
                    "list_subtotal_shown",
                    "subtotal_shown",
                    "discount_total_shown",
                    "shipping_fee_shown",
                    "total_shown",
                    "paid_amount_shown",
                    "refunded_amount_shown",
                    "adjustments_shown",
                )
            },
        ),
        (
            _("Shipping"),
            {
                "fields": (
                    "shipping_method_shown",
                    "region",
                    "address_shown",
                    "note",
                    "carrier",
                    "tracking_number",
                )
            },
        ),
        (_("Payments"), {"fields": ("payments_shown", "refunds_shown")}),
        (_("After-sales"), {"fields": ("after_sales_shown",)}),
    )
    readonly_fields = tuple(name for _title, block in fieldsets for name in block["fields"])
    inlines = (OrderLineInline, OrderTransitionInline)

    # --- columns ---

    @admin.display(description=_("buyer"), ordering="buyer__email")
    def buyer_shown(self, order: Order) -> str:
        return order.buyer.email or order.buyer.nickname or f"#{order.buyer_id}"

    @display(description=_("status"), ordering="status", label=ORDER_STATUS_COLOURS)
    def status_shown(self, order: Order) -> tuple[str, str]:
        return order.status, machine.label(order.status)

    @admin.display(description=_("status"))
    def status_text(self, order: Order) -> str:
        return machine.label(order.status)  # the change form shows text, not the list's badge

    @admin.display(description=_("shipping method"), ordering="shipping_method")
    def shipping_method_shown(self, order: Order) -> str:
        methods = dict(pricing_selectors.shipping_methods())
        return methods.get(order.shipping_method, order.shipping_method)

    @admin.display(description=_("total"), ordering="total")
    def total_shown(self, order: Order) -> str:
        return money(order.total, order.currency)

    @admin.display(description=_("list subtotal"))
    def list_subtotal_shown(self, order: Order) -> str:
        return money(order.list_subtotal, order.currency)

    @admin.display(description=_("subtotal"))
    def subtotal_shown(self, order: Order) -> str:
        return money(order.subtotal, order.currency)

    @admin.display(description=_("discounts"))
    def discount_total_shown(self, order: Order) -> str:
        return money(order.discount_total, order.currency)

    @admin.display(description=_("shipping"))
    def shipping_fee_shown(self, order: Order) -> str:
        return money(order.shipping_fee, order.currency)

    @admin.display(description=_("paid"))
    def paid_amount_shown(self, order: Order) -> str:
        return money(order.paid_amount, order.currency)

    @admin.display(description=_("refunded"))
    def refunded_amount_shown(self, order: Order) -> str:
        return money(order.refunded_amount, order.currency)

    @admin.display(description=_("price adjustments"))
    def adjustments_shown(self, order: Order) -> SafeString | str:
        rows = list(order.adjustments or [])
        if not rows:
            return "—"
        return format_html_join(
            "",
            "<div>{}: {}</div>",
            (
                (
                    row.get("label") or row.get("rule", ""),
                    money(row.get("amount", 0), order.currency),
                )
                for row in rows
            ),
        )

    @admin.display(description=_("shipping address (masked)"))
    def address_shown(self, order: Order) -> SafeString:
        address = selectors.address_of(order, masked=True)
        place = " ".join(
            address.get(key, "")
            for key in ("province", "city", "district", "detail", "postal_code")
            if address.get(key)
        )
        return format_html(
            "{} {}<br>{}", address.get("recipient", ""), address.get("phone", ""), place
        )

    @admin.display(description=_("payments"))
    def payments_shown(self, order: Order) -> SafeString | str:
        payments = payment_selectors.payments_for_order(order.number)
        if not payments:
            return str(_("No payment started."))
        return _table(
            (_("id"), _("status"), _("amount"), _("refunded"), _("provider")),
            (
                (
                    f"#{payment.id}",
                    str(PAYMENT_STATUSES.get(str(payment.status), payment.status))
                    + (f" ({_('late capture')})" if payment.is_late_capture else ""),
                    money(payment.amount, payment.currency),
                    money(payment.refunded_amount, payment.currency),
                    payment.provider,
                )
                for payment in payments
            ),
        )

    @admin.display(description=_("refunds"))
    def refunds_shown(self, order: Order) -> SafeString | str:
        refunds = payment_selectors.refunds_for_order(order.number)
        if not refunds:
            return "—"
        return _table(
            (_("id"), _("status"), _("amount"), _("reference"), _("reason")),
            (
                (
                    f"#{refund.id}",
                    str(REFUND_STATUSES.get(str(refund.status), refund.status)),
                    money(refund.amount, refund.currency),
                    refund.reference,
                    refund.reason,
                )
                for refund in refunds
            ),
        )

    @admin.display(description=_("after-sales requests"))
    def after_sales_shown(self, order: Order) -> SafeString | str:
        requests = list(order.after_sales.order_by("id"))
        if not requests:
            return "—"
        return format_html_join(
            "",
            '<div><a href="{}">#{}</a> {} · {} · {}</div>',
            (
                (
                    reverse("admin:orders_aftersalesrequest_change", args=[request.pk]),
                    request.pk,
                    request.get_kind_display(),
                    request.get_status_display(),
                    money(request.amount, order.currency),
                )
                for request in requests
            ),
        )

    # --- actions ---

    @admin.action(description=_("Ship selected paid orders…"), permissions=["manage"])
    def ship(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        orders = list(queryset.select_related("buyer").order_by("placed_at", "id"))
        applying = "apply" in request.POST
        form = ShipmentsForm(request.POST if applying else None, orders=orders)
        if applying and form.is_valid():
            shipped = 0
            for order in orders:
                carrier, tracking = form.shipment(order)
                if not carrier and not tracking:
                    self.message_user(
                        request,
                        _("%(number)s: left unshipped (no carrier or tracking number).")
                        % {"number": order.number},
                        messages.WARNING,
                    )
                    continue
                try:
                    services.order_ship(
                        staff_id=operator_id(request),
                        number=order.number,
                        carrier=carrier,
                        tracking_number=tracking,
                    )
                except DomainError as error:
                    report_refusal(self, request, order.number, error)
                else:
                    shipped += 1
            report_done(
                self,
                request,
                ngettext_lazy("Shipped %(count)d order.", "Shipped %(count)d orders.", "count"),
                shipped,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Ship orders"),
            "form": form,
            "rows": form.rows(),
            "carriers": CARRIERS,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/orders/order/ship.html", context)

    @admin.action(description=_("Cancel selected unpaid orders"), permissions=["manage"])
    def cancel_unpaid(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        cancelled = 0
        for number in queryset.order_by("id").values_list("number", flat=True):
            try:
                services.order_cancel(
                    actor_id=operator_id(request),
                    number=number,
                    reason=str(_("Cancelled by the merchant")),
                )
            except DomainError as error:
                report_refusal(self, request, number, error)
            else:
                cancelled += 1
        report_done(
            self,
            request,
            ngettext_lazy("Cancelled %(count)d order.", "Cancelled %(count)d orders.", "count"),
            cancelled,
        )

    # --- buttons on the order page: ship / cancel / refund, each a form of its own ---

    def _order_page(
        self,
        request: HttpRequest,
        order: Order,
        *,
        title: Any,
        intro: Any,
        form: forms.Form,
        submit: Any,
        danger: bool = False,
        testid: str,
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": order.number,
            "intro": intro,
            "form": form,
            "submit": submit,
            "danger": danger,
            "testid": testid,
            "order": order,
            "order_status": machine.label(order.status),
            "order_total": money(order.total, order.currency),
            "order_paid": money(order.paid_amount, order.currency),
            "order_refunded": money(order.refunded_amount, order.currency),
            "order_url": reverse("admin:orders_order_change", args=[order.pk]),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/orders/order/action_form.html", context)

    def _done(self, order: Order) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))

    @action(description=_("Ship"), url_path="ship", permissions=["manage"], icon="local_shipping")
    def ship_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = get_object_or_404(Order, pk=object_id)
        form = ShipForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.order_ship(
                    staff_id=operator_id(request),
                    number=order.number,
                    carrier=form.cleaned_data["carrier"],
                    tracking_number=form.cleaned_data["tracking_number"],
                )
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                self.message_user(
                    request, _("Order %(number)s shipped.") % {"number": order.number}
                )
                return self._done(order)
        return self._order_page(
            request,
            order,
            title=_("Ship the order"),
            intro=_("Choose the carrier and enter the tracking number; the buyer is told at once."),
            form=form,
            submit=_("Ship"),
            testid="ship-form",
        )

    @action(description=_("Cancel"), url_path="cancel", permissions=["manage"], icon="cancel")
    def cancel_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = get_object_or_404(Order, pk=object_id)
        form = CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.order_cancel(
                    actor_id=operator_id(request),
                    number=order.number,
                    reason=form.cleaned_data["reason"] or str(_("Cancelled by the merchant")),
                )
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                self.message_user(
                    request, _("Order %(number)s cancelled.") % {"number": order.number}
                )
                return self._done(order)
        return self._order_page(
            request,
            order,
            title=_("Cancel the order"),
            intro=_("Only an order still awaiting payment can be cancelled; its stock returns."),
            form=form,
            submit=_("Cancel the order"),
            danger=True,
            testid="cancel-form",
        )

    @action(description=_("Refund"), url_path="refund", permissions=["manage"], icon="undo")
    def refund_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = get_object_or_404(Order, pk=object_id)
        pending = order.after_sales.filter(status=R.REQUESTED).order_by("id").first()
        if pending is not None:
            ceiling = aftersales.refundable_amount(
                order, {int(k): v for k, v in (pending.lines or {}).items()}
            )
            intro = _(
                "The buyer asked for a refund (request #%(id)d): approving it refunds the "
                "amount below, at most %(max)s."
            ) % {"id": pending.pk, "max": money(ceiling, order.currency)}
        else:
            ceiling = max(order.paid_amount - order.refunded_amount, 0)
            intro = _(
                "A paid order that has not shipped can be refunded in full (%(max)s); after "
                "shipping, refunds go through the buyer's after-sales request."
            ) % {"max": money(ceiling, order.currency)}
        form = RefundForm(request.POST or None, ceiling=ceiling, currency=order.currency)
        if request.method == "POST" and form.is_valid():
            amount, reason = form.cleaned_data["amount"], form.cleaned_data["reason"]
            try:
                if pending is not None:
                    aftersales.aftersales_approve(
                        staff_id=operator_id(request),
                        request_id=pending.pk,
                        amount=amount,
                        note=reason,
                    )
                elif order.status != OrderStatus.PAID or amount != ceiling:
                    form.add_error(
                        "amount",
                        _(
                            "Without a buyer's after-sales request only a paid, unshipped "
                            "order can be refunded, and only in full (%(max)s)."
                        )
                        % {"max": money(ceiling, order.currency)},
                    )
                elif not services.order_refund_in_full(
                    number=order.number, reason=reason, key=f"admin:{uuid.uuid4().hex}"
                ):
                    form.add_error(None, _("This order cannot be refunded now."))
            except DomainError as error:
                form.add_error(None, str(error.message))
            if not form.errors:
                self.message_user(
                    request,
                    _("Refund of %(amount)s for %(number)s started.")
                    % {"amount": money(amount, order.currency), "number": order.number},
                )
                return self._done(order)
        return self._order_page(
            request,
            order,
            title=_("Refund the order"),
            intro=intro,
            form=form,
            submit=_("Refund"),
            danger=True,
            testid="refund-form",
        )


def _table(headers: Iterable[Any], rows: Iterable[Iterable[Any]]) -> SafeString:
    head = format_html_join(
        "", "<th class='pr-4 text-left'>{}</th>", ((title,) for title in headers)
    )
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td class='pr-4'>{}</td>", ((cell,) for cell in row)),)
            for row in rows
        ),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


# --- After-sales ------------------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("operator", _("Operator queue (escalated)")),
            ("merchant", _("Waiting for the merchant")),
            ("failed_refund", _("Refund failed: retry")),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[AfterSalesRequest]
    ) -> QuerySet[AfterSalesRequest]:
        if self.value() == "operator":
            return queryset.filter(status=R.ESCALATED)
        if self.value() == "merchant":
            return queryset.filter(status__in=[R.REQUESTED, R.RETURN_SHIPPED])
        if self.value() == "failed_refund":
            return queryset.filter(status=R.APPROVED).exclude(refund_reference="")
        return queryset


class AfterSalesTransitionInline(ReadOnlyInline):
    model = AfterSalesTransition
    fields = ("at", "from_status", "to_status", "actor_kind", "actor", "reason")
    readonly_fields = fields
    verbose_name = _("history entry")
    verbose_name_plural = _("history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AfterSalesTransition]:
        return super().get_queryset(request).select_related("actor")


def _thumbnails(photos: Iterable[AfterSalesPhoto]) -> SafeString | str:
    shown = format_html_join(
        " ",
        '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="" width="{1}" '
        'height="{1}" style="object-fit:cover;display:inline-block" loading="lazy"></a>',
        ((photo.image.url, THUMBNAIL_SIDE) for photo in photos),
    )
    return shown or "—"


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason shown to the buyer"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReceiveReturnForm(forms.Form):
    RESTOCK_CHOICES = (
        ("", _("As the request says")),
        ("yes", _("Put the goods back in stock")),
        ("no", _("Do not restock (damaged goods)")),
    )
    restock = forms.ChoiceField(label=_("Restock"), choices=RESTOCK_CHOICES, required=False)

    def restock_choice(self) -> bool | None:
        value = self.cleaned_data.get("restock") or ""
        return None if not value else value == "yes"


@admin.register(AfterSalesRequest)
class AfterSalesRequestAdmin(ManagedThroughServices):
    list_display = (
        "id",
        "order_link",
        "buyer_shown",
        "kind",
        "reason",
        "status_shown",
        "amount_shown",
        "photos_shown",
        "created_at",
    )
    list_filter = (QueueFilter, "status", "kind", "reason", "created_at")
    search_fields = ("order__number", "buyer__email")
    list_select_related = ("order", "buyer")
    ordering = ("-id",)
    actions = ("approve", "reject", "receive_return", "retry_refund")
    fields = (
        "order_link",
        "buyer_shown",
        "kind",
        "reason",
        "detail",
        "lines_shown",
        "amount_shown",
        "restock",
        "status_text",
        "merchant_note",
        "return_carrier",
        "return_tracking",
        "refund_reference",
        "photos_shown",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = (AfterSalesTransitionInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AfterSalesRequest]:
        return super().get_queryset(request).prefetch_related("photos")

    @admin.display(description=_("order"), ordering="order__number")
    def order_link(self, request: AfterSalesRequest) -> SafeString:
        url = reverse("admin:orders_order_change", args=[request.order_id])
        return format_html('<a href="{}">{}</a>', url, request.order.number)

    @admin.display(description=_("buyer"), ordering="buyer__email")
    def buyer_shown(self, request: AfterSalesRequest) -> str:
        return request.buyer.email or request.buyer.nickname or f"#{request.buyer_id}"

    @display(description=_("status"), ordering="status", label=REQUEST_STATUS_COLOURS)
    def status_shown(self, request: AfterSalesRequest) -> tuple[str, str]:
        return request.status, str(request.get_status_display())

    @admin.display(description=_("status"))
    def status_text(self, request: AfterSalesRequest) -> str:
        return str(request.get_status_display())

    @admin.display(description=_("refund amount"), ordering="amount")
    def amount_shown(self, request: AfterSalesRequest) -> str:
        return money(request.amount, request.order.currency)

    @admin.display(description=_("photos"))
    def photos_shown(self, request: AfterSalesRequest) -> SafeString | str:
        return _thumbnails(request.photos.all())

    @admin.display(description=_("items"))
    def lines_shown(self, request: AfterSalesRequest) -> SafeString | str:
        wanted = {int(line_id): quantity for line_id, quantity in (request.lines or {}).items()}
        titles = dict(
            OrderLine.objects.filter(order_id=request.order_id, pk__in=wanted).values_list(
                "pk", "title"
            )
        )
        return (
            format_html_join(
                "",
                "<div>{} × {}</div>",
                (
                    (quantity, titles.get(line_id, f"#{line_id}"))
                    for line_id, quantity in wanted.items()
                ),
            )
            or "—"
        )

    # --- actions ---

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[AfterSalesRequest],
        step: Callable[[int], object],
        done: Any,
    ) -> None:
        count = 0
        for request_id in queryset.order_by("id").values_list("pk", flat=True):
            try:
                step(request_id)
            except DomainError as error:
                report_refusal(self, request, f"#{request_id}", error)
            else:
                count += 1
        report_done(self, request, done, count)

    def _form_page(
        self,
        request: HttpRequest,
        queryset: QuerySet[AfterSalesRequest],
        *,
        action: str,
        title: Any,
        intro: Any,
        submit: Any,
        form: forms.Form,
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit": submit,
            "form": form,
            "action": action,
            "items": queryset.select_related("order").order_by("id"),
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/orders/aftersalesrequest/decide.html", context)

    @admin.action(description=_("Approve selected requests"), permissions=["manage"])
    def approve(self, request: HttpRequest, queryset: QuerySet[AfterSalesRequest]) -> None:
        self._each(
            request,
            queryset,
            lambda request_id: aftersales.aftersales_approve(
                staff_id=operator_id(request), request_id=request_id
            ),
            ngettext_lazy("Approved %(count)d request.", "Approved %(count)d requests.", "count"),
        )

    @admin.action(
        description=_("Reject selected requests (or close escalated ones)…"), permissions=["manage"]
    )
    def reject(
        self, request: HttpRequest, queryset: QuerySet[AfterSalesRequest]
    ) -> TemplateResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._each(
                request,
                queryset,
                lambda request_id: aftersales.aftersales_reject(
                    staff_id=operator_id(request), request_id=request_id, reason=reason
                ),
                ngettext_lazy(
                    "Rejected %(count)d request.", "Rejected %(count)d requests.", "count"
                ),
            )
            return None
        return self._form_page(
            request,
            queryset,
            action="reject",
            title=_("Reject after-sales requests"),
            intro=_("These requests will be rejected and their buyers shown the reason:"),
            submit=_("Reject"),
            form=form,
        )

    @admin.action(description=_("Mark returned goods as received…"), permissions=["manage"])
    def receive_return(
        self, request: HttpRequest, queryset: QuerySet[AfterSalesRequest]
    ) -> TemplateResponse | None:
        form = ReceiveReturnForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            restock = form.restock_choice()
            self._each(
                request,
                queryset,
                lambda request_id: aftersales.aftersales_receive_return(
                    staff_id=operator_id(request), request_id=request_id, restock=restock
                ),
                ngettext_lazy(
                    "Received %(count)d return; its refund has started.",
                    "Received %(count)d returns; their refunds have started.",
                    "count",
                ),
            )
            return None
        return self._form_page(
            request,
            queryset,
            action="receive_return",
            title=_("Receive returned goods"),
            intro=_("The goods of these requests arrived back; their refunds start now:"),
            submit=_("Mark as received"),
            form=form,
        )

    @admin.action(description=_("Retry failed refunds"), permissions=["manage"])
    def retry_refund(self, request: HttpRequest, queryset: QuerySet[AfterSalesRequest]) -> None:
        self._each(
            request,
            queryset,
            lambda request_id: aftersales.aftersales_retry_refund(
                staff_id=operator_id(request), request_id=request_id
            ),
            ngettext_lazy("Retried %(count)d refund.", "Retried %(count)d refunds.", "count"),
        )
