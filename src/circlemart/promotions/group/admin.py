"""Back office for group buying: deals, validated against the shop (group price below the
SKU's price, leader price at most the group price, size 2–50, end after start), with live
counters (groups pending, open, succeeded, failed; members paid and refunded); groups and
their members read-only (they change only through the services), with an action to end
overdue groups now."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.admin import ModelAdmin, TabularInline

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core.admin_widgets import MoneyAdminMixin, format_money, money_display
from circlemart.promotions.group import selectors, services
from circlemart.promotions.group.contracts import GroupDealCounters
from circlemart.promotions.group.models import Group, GroupDeal, GroupMember


class GroupDealForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = GroupDeal
        fields = (
            "name",
            "sku",
            "group_price",
            "leader_price",
            "group_size",
            "time_limit_minutes",
            "max_quantity",
            "auto_fill",
            "starts_at",
            "ends_at",
            "is_active",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sku, price = data.get("sku"), data.get("group_price")
        sale = catalog_selectors.skus_for_sale([sku.pk]).get(sku.pk) if sku is not None else None
        if price is not None and sale is not None and price >= sale.price:
            self.add_error(
                "group_price",
                _("The group price must be below the SKU's price (%(price)s).")
                % {"price": format_money(sale.price)},
            )
        return data


def _counters(deal: GroupDeal) -> GroupDealCounters:
    return selectors.group_deal_counters([deal.pk])[deal.pk]


@admin.register(GroupDeal)
class GroupDealAdmin(MoneyAdminMixin, ModelAdmin):
    money_fields = ("group_price", "leader_price")
    group_price_shown = money_display("group_price", _("group price"))
    form = GroupDealForm
    list_display = (
        "id",
        "name",
        "sku",
        "group_price_shown",
        "group_size",
        "starts_at",
        "ends_at",
        "is_active",
        "open_groups",
        "succeeded_groups",
        "failed_groups",
        "members_paid",
    )
    list_filter = ("is_active", "auto_fill")
    search_fields = ("name",)
    raw_id_fields = ("sku",)
    date_hierarchy = "starts_at"
    readonly_fields = ("counters",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[GroupDeal]:
        queryset = super().get_queryset(request)
        self._counts = selectors.group_deal_counters(queryset.values_list("pk", flat=True))
        return queryset

    def _count(self, deal: GroupDeal) -> GroupDealCounters:
        counts = getattr(self, "_counts", {})
        return counts.get(deal.pk) or _counters(deal)

    @admin.display(description=pgettext_lazy("group buy", "open"))
    def open_groups(self, deal: GroupDeal) -> int:
        return self._count(deal).open

    @admin.display(description=pgettext_lazy("group buy", "succeeded"))
    def succeeded_groups(self, deal: GroupDeal) -> int:
        return self._count(deal).succeeded

    @admin.display(description=pgettext_lazy("group buy", "failed"))
    def failed_groups(self, deal: GroupDeal) -> int:
        return self._count(deal).failed

    @admin.display(description=_("members paid"))
    def members_paid(self, deal: GroupDeal) -> int:
        return self._count(deal).members_paid

    @admin.display(description=_("live counters"))
    def counters(self, deal: GroupDeal) -> str:
        if not deal.pk:
            return "—"
        c = _counters(deal)
        return str(
            _(
                "groups: %(pending)d pending, %(open)d open, %(succeeded)d succeeded, "
                "%(failed)d failed, %(cancelled)d cancelled; members: %(paid)d paid, "
                "%(refunded)d refunded"
            )
            % {
                "pending": c.pending,
                "open": c.open,
                "succeeded": c.succeeded,
                "failed": c.failed,
                "cancelled": c.cancelled,
                "paid": c.members_paid,
                "refunded": c.members_refunded,
            }
        )


class GroupMemberInline(TabularInline):
    model = GroupMember
    extra = 0
    can_delete = False
    fields = ("user", "role", "order_number", "quantity", "unit_price_shown", "status", "joined_at")
    readonly_fields = fields
    unit_price_shown = money_display("unit_price", _("unit price"))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Group)
class GroupAdmin(ModelAdmin):
    list_display = (
        "id",
        "deal",
        "leader",
        "status",
        "paid_count",
        "seats_taken",
        "size",
        "expires_at",
        "finished_at",
    )
    list_filter = ("status", "deal")
    search_fields = ("=id", "=leader__id", "=members__order_number")
    list_select_related = ("deal", "leader")
    inlines = [GroupMemberInline]
    actions = ["end_overdue"]
    readonly_fields = (
        "deal",
        "leader",
        "status",
        "size",
        "seats_taken",
        "paid_count",
        "filled_by_system",
        "created_at",
        "opened_at",
        "expires_at",
        "finished_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("End groups past their deadline now (refunds follow)"))
    def end_overdue(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        succeeded, failed = services.groups_expire()
        self.message_user(
            request,
            _("%(succeeded)d groups succeeded (auto-fill), %(failed)d failed.")
            % {"succeeded": succeeded, "failed": failed},
            messages.SUCCESS,
        )
