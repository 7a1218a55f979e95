"""Back office of distribution: applications to review, levels and commission rates (two
tiers at most, 0–100 %), uplines (no loops), and — read-only, since they change only through
the services — bindings, links, commissions, balances, ledger entries and withdrawals (to
approve or reject). Everyone's statement: /growth/distribution/statement.csv?scope=all."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from circlemart.core.admin_widgets import money_display
from circlemart.core.errors import DomainError
from circlemart.growth.distribution import services
from circlemart.growth.distribution.contracts import DistributorStatus
from circlemart.growth.distribution.models import (
    Commission,
    CommissionAccount,
    CommissionEntry,
    CommissionOrder,
    CommissionRate,
    DistributionBinding,
    Distributor,
    DistributorLevel,
    PromotionLink,
    Withdrawal,
)
from circlemart.growth.distribution.services.rates import check_scope


def _operator(request: HttpRequest) -> int:
    user_id = request.user.pk
    assert isinstance(user_id, int)  # the admin site only lets signed-in staff in
    return user_id


class ReadOnlyAdmin(ModelAdmin):
    """Records written by the services only: shown, never typed in or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DistributorLevel)
class DistributorLevelAdmin(ModelAdmin):
    list_display = ("rank", "name")
    ordering = ("rank",)


class DistributorForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Distributor
        fields = ("level", "upline")

    def clean_upline(self) -> Distributor | None:
        upline: Distributor | None = self.cleaned_data.get("upline")
        if upline is not None:
            try:
                services.distributor_upline_check(
                    distributor_id=self.instance.pk, upline_id=upline.pk
                )
            except DomainError as refusal:
                raise forms.ValidationError(str(refusal.message), code=refusal.code) from None
        return upline


def _review(
    modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Any], *, approve: bool
) -> None:
    done = 0
    for distributor in queryset.filter(status=DistributorStatus.PENDING):
        try:
            services.distributor_review(
                operator_id=_operator(request), distributor_id=distributor.pk, approve=approve
            )
            done += 1
        except DomainError as refusal:
            modeladmin.message_user(request, str(refusal.message), messages.ERROR)
    modeladmin.message_user(request, _("%(count)d applications reviewed.") % {"count": done})


@admin.register(Distributor)
class DistributorAdmin(ModelAdmin):
    form = DistributorForm
    list_display = ("code", "user", "status", "level", "upline", "applied_at", "reviewed_at")
    list_filter = ("status", "level")
    search_fields = ("code", "user__email", "user__nickname")
    readonly_fields = (
        "user",
        "code",
        "status",
        "applied_at",
        "reviewed_at",
        "reviewed_by",
        "review_note",
    )
    autocomplete_fields = ("upline",)
    actions = ("approve", "reject")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people apply themselves

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Distributor, form: Any, change: bool) -> None:
        # Through the services: the loop check runs again under their lock.
        services.distributor_upline_set(
            operator_id=_operator(request), distributor_id=obj.pk, upline_id=obj.upline_id
        )
        services.distributor_level_set(
            operator_id=_operator(request), distributor_id=obj.pk, level_id=obj.level_id
        )

    @admin.action(description=_("Approve selected applications"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Distributor]) -> None:
        _review(self, request, queryset, approve=True)

    @admin.action(description=_("Reject selected applications"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Distributor]) -> None:
        _review(self, request, queryset, approve=False)


class CommissionRateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CommissionRate
        fields = ("scope", "target_id", "level", "tier", "rate_bp")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        checks = (
            ("tier", services.check_tier),
            ("rate_bp", services.check_rate),
        )
        for field, check in checks:
            if field in data:
                try:
                    check(data[field])
                except DomainError as refusal:
                    self.add_error(field, str(refusal.message))
        if "scope" in data:
            try:
                check_scope(data["scope"], data.get("target_id") or 0)
            except DomainError as refusal:
                self.add_error(
                    refusal.field if refusal.field in self.fields else None, str(refusal.message)
                )
        return data


@admin.register(CommissionRate)
class CommissionRateAdmin(ModelAdmin):
    form = CommissionRateForm
    list_display = ("scope", "target_id", "level", "tier", "rate_bp", "updated_at")
    list_filter = ("scope", "tier", "level")


@admin.register(DistributionBinding)
class DistributionBindingAdmin(ReadOnlyAdmin):
    list_display = ("buyer", "distributor", "bound_at", "expires_at")
    search_fields = ("buyer__email", "distributor__code")


@admin.register(PromotionLink)
class PromotionLinkAdmin(ReadOnlyAdmin):
    list_display = ("distributor", "target", "target_id", "visits", "created_at")
    list_filter = ("target",)


@admin.register(CommissionOrder)
class CommissionOrderAdmin(ReadOnlyAdmin):
    list_display = ("order_number", "buyer", "distributor", "upline", "is_self_purchase")
    search_fields = ("order_number",)


@admin.register(Commission)
class CommissionAdmin(ReadOnlyAdmin):
    list_display = (
        "order_number",
        "distributor",
        "tier",
        "base_amount_shown",
        "rate_bp",
        "amount_shown",
        "reversed_amount_shown",
        "status",
        "created_at",
        "settled_at",
    )
    list_filter = ("status", "tier")
    search_fields = ("order_number", "distributor__code")
    base_amount_shown = money_display("base_amount", _("paid for the line"))
    amount_shown = money_display("amount", _("commission"))
    reversed_amount_shown = money_display("reversed_amount", _("reversed"))


@admin.register(CommissionAccount)
class CommissionAccountAdmin(ReadOnlyAdmin):
    list_display = (
        "distributor",
        "frozen_shown",
        "settled_shown",
        "withdrawing_shown",
        "withdrawn_shown",
        "updated_at",
    )
    frozen_shown = money_display("frozen", _("frozen"))
    settled_shown = money_display("settled", _("withdrawable"))
    withdrawing_shown = money_display("withdrawing", _("withdrawing"))
    withdrawn_shown = money_display("withdrawn", _("withdrawn"))


@admin.register(CommissionEntry)
class CommissionEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "distributor",
        "kind",
        "reference",
        "frozen_delta",
        "settled_delta",
        "withdrawing_delta",
        "withdrawn_delta",
    )
    list_filter = ("kind",)
    search_fields = ("reference", "idempotency_key", "distributor__code")


def _review_withdrawals(
    modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[Any], *, approve: bool
) -> None:
    done = 0
    for withdrawal in queryset:
        try:
            services.withdrawal_review(
                operator_id=_operator(request), withdrawal_id=withdrawal.pk, approve=approve
            )
            done += 1
        except DomainError as refusal:
            modeladmin.message_user(request, str(refusal.message), messages.ERROR)
    modeladmin.message_user(request, _("%(count)d withdrawals reviewed.") % {"count": done})


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = (
        "requested_at",
        "distributor",
        "amount_shown",
        "status",
        "reviewed_by",
        "paid_at",
        "failure_reason",
    )
    list_filter = ("status",)
    actions = ("approve", "reject")
    amount_shown = money_display("amount", _("amount"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is what the review actions need; the form stays read-only.
        return obj is None and bool(request.user.has_perm("growth.change_withdrawal"))

    @admin.action(description=_("Approve and pay out"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        _review_withdrawals(self, request, queryset, approve=True)

    @admin.action(description=_("Reject (the amount goes back)"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        _review_withdrawals(self, request, queryset, approve=False)
