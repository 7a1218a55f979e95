"""Back office for coupons: coupon campaigns (with live claimed/used counters and their
codes), threshold discounts, member prices and levels. Claimed coupons and uses are read-only:
they change only through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from circlemart.core.admin_widgets import MoneyAdminMixin, money_display
from circlemart.core.errors import DomainError
from circlemart.promotions.coupons import services
from circlemart.promotions.coupons.contracts import Scope
from circlemart.promotions.coupons.models import (
    CouponCode,
    CouponTemplate,
    CouponUse,
    MemberLevel,
    MemberPrice,
    ThresholdDiscount,
    UserCoupon,
)

CODE_BATCH = 100


class ScopedForm(forms.ModelForm):  # type: ignore[type-arg]
    """A category or product scope needs its categories or products (M2M: not in clean())."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope = data.get("scope")
        if scope == Scope.CATEGORIES and not data.get("categories"):
            self.add_error("categories", _("Choose the categories this applies to."))
        if scope == Scope.PRODUCTS and not data.get("products"):
            self.add_error("products", _("Choose the products this applies to."))
        return data


class CouponTemplateForm(ScopedForm):
    class Meta:
        model = CouponTemplate
        fields = (
            "name",
            "name_en",
            "kind",
            "is_active",
            "is_public",
            "amount",
            "percent",
            "max_discount",
            "min_spend",
            "currency",
            "scope",
            "categories",
            "products",
            "is_new_users_only",
            "stacking_group",
            "claim_starts_at",
            "claim_ends_at",
            "valid_from",
            "valid_until",
            "valid_days",
            "total_quantity",
            "per_user_limit",
            "max_uses",
        )


class ThresholdDiscountForm(ScopedForm):
    class Meta:
        model = ThresholdDiscount
        fields = (
            "name",
            "name_en",
            "currency",
            "min_spend",
            "min_quantity",
            "amount_off",
            "percent_off",
            "scope",
            "categories",
            "products",
            "priority",
            "starts_at",
            "ends_at",
            "is_active",
        )


class CouponCodeInline(TabularInline):
    model = CouponCode
    extra = 0
    fields = ("code", "max_redemptions", "redeemed_count", "is_active")
    readonly_fields = ("redeemed_count",)
    show_change_link = False
    max_num = 200


@admin.register(CouponTemplate)
class CouponTemplateAdmin(MoneyAdminMixin, ModelAdmin):
    money_fields = ("amount", "max_discount", "min_spend")
    form = CouponTemplateForm
    list_display = (
        "id",
        "name",
        "kind",
        "scope",
        "stacking_group",
        "is_public",
        "is_active",
        "claimed",
        "used",
        "claim_ends_at",
    )
    list_filter = ("kind", "scope", "is_active", "is_public", "is_new_users_only")
    search_fields = ("=id", "name", "name_en", "codes__code")
    readonly_fields = ("claimed_count", "used_count", "created_at", "updated_at")
    filter_horizontal = ("categories",)
    raw_id_fields = ("products",)
    inlines = [CouponCodeInline]
    actions = ["generate_codes", "deactivate"]
    fieldsets = (
        (None, {"fields": ("name", "name_en", "kind", "is_active", "is_public")}),
        (
            _("Terms"),
            {"fields": ("amount", "percent", "max_discount", "min_spend", "currency")},
        ),
        (
            _("Scope and stacking"),
            {
                "fields": (
                    "scope",
                    "categories",
                    "products",
                    "is_new_users_only",
                    "stacking_group",
                )
            },
        ),
        (
            _("Windows"),
            {
                "fields": (
                    "claim_starts_at",
                    "claim_ends_at",
                    "valid_from",
                    "valid_until",
                    "valid_days",
                )
            },
        ),
        (
            _("Quantities"),
            {
                "fields": (
                    "total_quantity",
                    "per_user_limit",
                    "max_uses",
                    "claimed_count",
                    "used_count",
                )
            },
        ),
        (None, {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description=_("claimed"), ordering="claimed_count")
    def claimed(self, template: CouponTemplate) -> str:
        total = "∞" if template.total_quantity is None else str(template.total_quantity)
        return f"{template.claimed_count} / {total}"

    @admin.display(description=_("used"), ordering="used_count")
    def used(self, template: CouponTemplate) -> str:
        if template.max_uses is None:
            return str(template.used_count)
        return f"{template.used_count} / {template.max_uses}"

    @admin.action(description=_("Generate 100 single-use codes"))
    def generate_codes(self, request: HttpRequest, queryset: QuerySet[CouponTemplate]) -> None:
        for template in queryset:
            try:
                codes = services.codes_generate(template_id=template.pk, count=CODE_BATCH)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(count)d codes for “%(name)s”.") % {"count": len(codes), "name": template},
                    messages.SUCCESS,
                )

    @admin.action(description=_("Stop the selected campaigns"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[CouponTemplate]) -> None:
        stopped = queryset.update(is_active=False)
        self.message_user(request, _("%(count)d stopped.") % {"count": stopped})


class _ReadOnly(ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UserCoupon)
class UserCouponAdmin(_ReadOnly):
    list_display = ("id", "template", "owner", "status", "valid_until", "order_number")
    list_filter = ("status",)
    search_fields = ("=id", "=owner__id", "owner__email", "order_number")
    list_select_related = ("template", "owner")
    raw_id_fields = ("template", "owner", "code")


@admin.register(CouponUse)
class CouponUseAdmin(_ReadOnly):
    list_display = ("id", "order_number", "user_coupon", "template", "amount_shown", "used_at")
    amount_shown = money_display("amount", _("taken off"))
    list_filter = ("returned_at",)
    search_fields = ("order_number",)
    raw_id_fields = ("user_coupon", "template", "buyer")


@admin.register(ThresholdDiscount)
class ThresholdDiscountAdmin(MoneyAdminMixin, ModelAdmin):
    form = ThresholdDiscountForm
    money_fields = ("min_spend", "amount_off")
    min_spend_shown = money_display("min_spend", _("minimum spend"))
    amount_off_shown = money_display("amount_off", _("amount off"))
    list_display = (
        "id",
        "name",
        "min_spend_shown",
        "min_quantity",
        "amount_off_shown",
        "percent_off",
        "scope",
        "priority",
        "starts_at",
        "ends_at",
        "is_active",
    )
    list_filter = ("is_active", "scope")
    search_fields = ("name", "name_en")
    filter_horizontal = ("categories",)
    raw_id_fields = ("products",)


@admin.register(MemberPrice)
class MemberPriceAdmin(MoneyAdminMixin, ModelAdmin):
    money_fields = ("price",)
    price_shown = money_display("price", _("member price"))
    list_display = ("id", "sku", "level", "price_shown", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("=sku__id", "sku__code")
    raw_id_fields = ("sku",)
    list_select_related = ("sku",)


@admin.register(MemberLevel)
class MemberLevelAdmin(ModelAdmin):
    list_display = ("user", "level", "updated_at")
    list_filter = ("level",)
    search_fields = ("=user__id", "user__email")
    raw_id_fields = ("user",)
