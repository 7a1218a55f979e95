"""Back office for bargains: deals validated against the shop (the floor below the SKU's price
with room for every helper's cut, the end after the start, 1–100 helpers) with live counters
(started, completed at the floor, purchased); bargains and their cuts are read-only — they
change only through the services. A deal's terms are copied into each bargain when it
starts, so editing a deal changes bargains started afterwards only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core.admin_widgets import MoneyAdminMixin, format_money, money_display
from circlemart.promotions.bargain import selectors
from circlemart.promotions.bargain.contracts import BargainCounters, BargainStatus
from circlemart.promotions.bargain.models import Bargain, BargainDeal, BargainHelp


class BargainDealForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = BargainDeal
        fields = (
            "name",
            "sku",
            "floor_price",
            "helpers_needed",
            "duration_hours",
            "max_starts_per_user",
            "buy_only_at_floor",
            "starts_at",
            "ends_at",
            "is_active",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must be after the start."))
        sku = data.get("sku")
        floor, helpers = data.get("floor_price"), data.get("helpers_needed")
        if sku is None or floor is None:
            return data
        sale = catalog_selectors.skus_for_sale([sku.pk]).get(sku.pk)
        if sale is None:
            return data
        if floor >= sale.price:
            self.add_error(
                "floor_price",
                _("The floor price must be below the SKU's price (%(price)s).")
                % {"price": format_money(sale.price)},
            )
        elif helpers is not None and floor + helpers > sale.price:
            self.add_error(
                "floor_price",
                _(
                    "The floor price must be at least %(gap)s below the SKU's price "
                    "(%(price)s): each of the %(helpers)d helpers cuts at least ¥0.01."
                )
                % {
                    "gap": format_money(helpers),
                    "helpers": helpers,
                    "price": format_money(sale.price),
                },
            )
        return data


class BargainHelpInline(TabularInline):
    model = BargainHelp
    extra = 0
    can_delete = False
    fields = ("sequence", "helper", "cut_shown", "price_after_shown", "helped_at")
    readonly_fields = fields
    cut_shown = money_display("cut", _("cut"))
    price_after_shown = money_display("price_after", _("price after the cut"))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BargainDeal)
class BargainDealAdmin(MoneyAdminMixin, ModelAdmin):
    money_fields = ("floor_price",)
    floor_price_shown = money_display("floor_price", _("floor price"))
    form = BargainDealForm
    list_display = (
        "id",
        "name",
        "sku",
        "floor_price_shown",
        "helpers_needed",
        "starts_at",
        "ends_at",
        "is_active",
        "started",
        "completed",
        "purchased",
    )
    list_filter = ("is_active", "buy_only_at_floor")
    search_fields = ("name", "=sku__id", "sku__code")
    raw_id_fields = ("sku",)
    list_select_related = ("sku",)
    date_hierarchy = "starts_at"
    readonly_fields = ("counters", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[BargainDeal]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                started_count=Count("bargains"),
                completed_count=Count("bargains", filter=Q(bargains__reached_at__isnull=False)),
                purchased_count=Count(
                    "bargains", filter=Q(bargains__status=BargainStatus.PURCHASED)
                ),
            )
        )

    @admin.display(description=_("started"), ordering="started_count")
    def started(self, deal: Any) -> int:
        return int(getattr(deal, "started_count", 0))

    @admin.display(description=_("completed"), ordering="completed_count")
    def completed(self, deal: Any) -> int:
        return int(getattr(deal, "completed_count", 0))

    @admin.display(description=_("purchased"), ordering="purchased_count")
    def purchased(self, deal: Any) -> int:
        return int(getattr(deal, "purchased_count", 0))

    @admin.display(description=_("counters"))
    def counters(self, deal: BargainDeal) -> str:
        counts = selectors.bargain_counters([deal.pk])[deal.pk] if deal.pk else BargainCounters()
        return str(
            _(
                "%(started)d started · %(active)d open · %(completed)d at the floor · "
                "%(purchased)d purchased (%(paid)d paid) · %(expired)d expired"
            )
            % {
                "started": counts.started,
                "active": counts.active,
                "completed": counts.completed,
                "purchased": counts.purchased,
                "paid": counts.paid,
                "expired": counts.expired,
            }
        )


@admin.register(Bargain)
class BargainAdmin(MoneyAdminMixin, ModelAdmin):
    start_price_shown = money_display("start_price", _("start price"))
    current_price_shown = money_display("current_price", _("current price"))
    floor_price_shown = money_display("floor_price", _("floor price"))
    list_display = (
        "id",
        "deal",
        "starter",
        "status",
        "start_price_shown",
        "current_price_shown",
        "floor_price_shown",
        "helpers",
        "expires_at",
        "order_number",
    )
    list_filter = ("status",)
    search_fields = ("=id", "=starter__id", "=order_number")
    list_select_related = ("deal", "starter")
    inlines = [BargainHelpInline]
    readonly_fields = (
        "deal",
        "starter",
        "start_number",
        "sku",
        "currency",
        "start_price",
        "current_price",
        "floor_price",
        "helpers_needed",
        "helpers_count",
        "status",
        "order_number",
        "started_at",
        "expires_at",
        "reached_at",
        "purchased_at",
        "paid_at",
    )

    @admin.display(description=_("helpers"))
    def helpers(self, bargain: Bargain) -> str:
        return f"{bargain.helpers_count} / {bargain.helpers_needed}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # viewing only: the page lists the cuts

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
