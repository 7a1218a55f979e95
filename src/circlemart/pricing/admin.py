"""Back office for pricing: shipping rules (a flat fee per region and method, free above a
threshold). One rule per region and method: the model's constraint is checked by the form, so a
duplicate comes back as a form error, not a server error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from circlemart.core.admin_widgets import MoneyAdminMixin
from circlemart.core.money import Money, babel_locale
from circlemart.pricing.models import ShippingRule

CURRENCY = "CNY"  # shipping fees are charged in the shop's currency


def money(amount: int | None) -> str:
    if amount is None:
        return "—"
    return Money(amount, CURRENCY).format(babel_locale(get_language()))


class ShippingRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ShippingRule
        fields = ("region", "method", "fee", "free_over", "is_active")
        help_texts = {
            "region": _("A province as written on addresses; empty for every other region."),
        }

    def clean_region(self) -> str:
        return str(self.cleaned_data.get("region") or "").strip()

    def validate_unique(self) -> None:
        # The default message names the fields ("…with this Region and Method already exists");
        # say it the way a merchant reads it, attached to the region field.
        exists = ShippingRule.objects.filter(
            region=self.cleaned_data.get("region", ""), method=self.cleaned_data.get("method")
        )
        if self.instance.pk:
            exists = exists.exclude(pk=self.instance.pk)
        if exists.exists():
            self.add_error(
                "region", _("There is already a rule for this region and method; edit that one.")
            )
            return
        super().validate_unique()


@admin.register(ShippingRule)
class ShippingRuleAdmin(MoneyAdminMixin, ModelAdmin):
    money_fields = ("fee", "free_over")
    form = ShippingRuleForm
    list_display = ("region_shown", "method", "fee_shown", "free_over_shown", "is_active")
    list_filter = ("method", "is_active")
    search_fields = ("region",)
    ordering = ("region", "method")

    @admin.display(description=_("region"), ordering="region")
    def region_shown(self, rule: ShippingRule) -> str:
        return rule.region or str(_("All other regions"))

    @admin.display(description=_("fee"), ordering="fee")
    def fee_shown(self, rule: ShippingRule) -> str:
        return money(rule.fee)

    @admin.display(description=_("free from"), ordering="free_over")
    def free_over_shown(self, rule: ShippingRule) -> str:
        return money(rule.free_over) if rule.free_over is not None else str(_("never"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deactivate instead: a deleted catch-all rule silently falls back to the settings.
        return bool(request.user.is_superuser)
