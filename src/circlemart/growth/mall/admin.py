"""Back office of the points mall: operators set up items (the redeemed counter is never
written here) and move gift redemptions along: ship (type the tracking number on a pending
one), mark delivered, or cancel (points, stock and the shopper's count come back). The
shipping address is shown masked, like an order's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin

from circlemart.core.errors import DomainError
from circlemart.growth.mall import selectors, services
from circlemart.growth.mall.contracts import Fulfilment
from circlemart.growth.mall.models import MallItem, MallRedemption


@admin.register(MallItem)
class MallItemAdmin(ModelAdmin):
    list_display = (
        "name",
        "kind",
        "points_price",
        "stock",
        "redeemed_count",
        "left",
        "per_user_limit",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("name", "name_en")
    readonly_fields = ("redeemed_count",)
    fields = (
        "name",
        "name_en",
        "description",
        "kind",
        "coupon_template",
        "points_price",
        "stock",
        "redeemed_count",
        "per_user_limit",
        "is_active",
        "starts_at",
        "ends_at",
        "position",
    )

    @admin.display(description=_("left"))
    def left(self, item: MallItem) -> str:
        return "∞" if item.stock is None else str(item.stock - item.redeemed_count)

    def save_model(
        self, request: HttpRequest, obj: MallItem, form: ModelForm[MallItem], change: bool
    ) -> None:
        if obj.pk is None:
            obj.save()
            return
        fields = [
            field.name
            for field in obj._meta.concrete_fields
            if not field.primary_key and field.editable and field.name not in obj.COUNTERS
        ]
        obj.save(update_fields=fields)  # a concurrent redemption's counter update survives


class ShipForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = MallRedemption
        fields = ("tracking_number",)


@admin.register(MallRedemption)
class MallRedemptionAdmin(ModelAdmin):
    """Redemptions are made by shoppers, never typed in; a pending gift's only editable field
    is its tracking number, and saving it ships the gift."""

    form = ShipForm
    list_display = (
        "created_at",
        "item_name",
        "user",
        "kind",
        "points",
        "status",
        "tracking_number",
    )
    list_filter = ("status", "kind", "item")
    search_fields = ("user__email", "user__nickname", "item_name", "tracking_number")
    list_select_related = ("user",)
    actions = ("mark_delivered", "cancel")
    shown = (
        "item",
        "item_name",
        "user",
        "kind",
        "points",
        "status",
        "user_coupon_id",
        "points_entry_id",
        "address_shown",
        "created_at",
        "updated_at",
    )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.shown, "tracking_number"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.status == Fulfilment.PENDING:
            return list(self.shown)
        return [*self.shown, "tracking_number"]

    @admin.display(description=_("shipping address (masked)"))
    def address_shown(self, redemption: MallRedemption) -> SafeString:
        address = selectors.shipping_address(redemption, masked=True)
        if not address:
            return format_html("{}", "—")
        place = " ".join(
            address.get(key, "") for key in ("province", "city", "district") if address.get(key)
        )
        return format_html(
            "{} {}<br>{} {}",
            address.get("recipient", ""),
            address.get("phone", ""),
            place,
            address.get("detail", ""),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self,
        request: HttpRequest,
        obj: MallRedemption,
        form: ModelForm[MallRedemption],
        change: bool,
    ) -> None:
        if "tracking_number" not in form.changed_data:
            return
        try:
            services.mall_redemption_ship(redemption_id=obj.pk, tracking_number=obj.tracking_number)
        except DomainError as refusal:
            self.message_user(request, str(refusal.message), messages.ERROR)

    @admin.action(description=_("Mark selected shipped gifts delivered"))
    def mark_delivered(self, request: HttpRequest, queryset: QuerySet[MallRedemption]) -> None:
        self._each(request, queryset, services.mall_redemption_deliver)

    @admin.action(description=_("Cancel selected pending gifts (points are returned)"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[MallRedemption]) -> None:
        self._each(request, queryset, services.mall_redemption_cancel)

    def _each(self, request: HttpRequest, queryset: QuerySet[MallRedemption], step: Any) -> None:
        done = 0
        for redemption_id in queryset.order_by("id").values_list("id", flat=True):
            try:
                step(redemption_id=redemption_id)
            except DomainError as refusal:
                self.message_user(request, f"#{redemption_id}: {refusal.message}", messages.WARNING)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d redemption updated.", "%(count)d redemptions updated.", done)
            % {"count": done},
        )
