"""Back office of levels and badges: the levels (thresholds and benefits) and badge rules
operators edit; members' levels, growth value entries, level changes and badges awarded are
read-only (they change only through the services). Actions: review members now, award a new
badge rule to everyone who already qualifies."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from circlemart.growth.levels import services
from circlemart.growth.levels.models import (
    MULTIPLIER_MAX,
    MULTIPLIER_MIN,
    BadgeAward,
    BadgeRule,
    GrowthAccount,
    GrowthValueEntry,
    Level,
    LevelChange,
)


class ReadOnlyAdmin(ModelAdmin):
    """Records written by rules, never typed in."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class LevelForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Level
        fields = (
            "code",
            "name",
            "name_en",
            "threshold",
            "member_price_level",
            "has_free_shipping",
            "points_multiplier_percent",
            "birthday_coupon_template",
        )

    def clean_points_multiplier_percent(self) -> int:
        value = int(self.cleaned_data["points_multiplier_percent"])
        if not MULTIPLIER_MIN <= value <= MULTIPLIER_MAX:
            raise forms.ValidationError(
                _("Between %(low)d and %(high)d.") % {"low": MULTIPLIER_MIN, "high": MULTIPLIER_MAX}
            )
        return value


@admin.register(Level)
class LevelAdmin(ModelAdmin):
    form = LevelForm
    list_display = (
        "name",
        "name_en",
        "code",
        "threshold",
        "member_price_level",
        "has_free_shipping",
        "points_multiplier_percent",
        "birthday_coupon_template",
        "members",
    )
    ordering = ("threshold",)
    list_select_related = ("birthday_coupon_template",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Level]:
        holders = (
            GrowthAccount.objects.filter(level=OuterRef("pk"))
            .order_by()
            .values("level")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=Subquery(holders, output_field=IntegerField()))
        )

    @admin.display(description=_("members"), ordering="member_count")
    def members(self, obj: Any) -> int:
        return int(obj.member_count or 0)


@admin.register(BadgeRule)
class BadgeRuleAdmin(ModelAdmin):
    list_display = (
        "icon",
        "name",
        "code",
        "counter",
        "threshold",
        "is_active",
        "is_public",
        "position",
        "awarded",
    )
    list_display_links = ("icon", "name")
    list_filter = ("counter", "is_active", "is_public")
    list_editable = ("is_active", "is_public", "position")
    actions = ("award_to_qualified",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[BadgeRule]:
        return super().get_queryset(request).annotate(award_count=Count("awards"))

    @admin.display(description=_("awarded"), ordering="award_count")
    def awarded(self, obj: Any) -> int:
        return int(obj.award_count)

    @admin.action(description=_("Award to everyone who already qualifies"), permissions=["change"])
    def award_to_qualified(self, request: HttpRequest, queryset: QuerySet[BadgeRule]) -> None:
        total = sum(services.badge_rule_backfill(rule_id=rule.pk) for rule in queryset)
        messages.success(request, _("%(count)d badges awarded.") % {"count": total})


@admin.register(GrowthAccount)
class GrowthAccountAdmin(ReadOnlyAdmin):
    """Members' levels: who holds which level, their growth value and grace period."""

    list_display = (
        "user",
        "level",
        "total",
        "level_since",
        "grace_until",
        "reviewed_at",
        "birthday",
    )
    list_filter = ("level",)
    search_fields = ("user__email", "user__nickname")
    list_select_related = ("user", "level")
    actions = ("review_now",)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("growth.change_growthaccount"))

    @admin.action(description=_("Review the level now"), permissions=["review"])
    def review_now(self, request: HttpRequest, queryset: QuerySet[GrowthAccount]) -> None:
        changed = sum(
            services.level_review(user_id=user_id) is not None
            for user_id in queryset.values_list("user_id", flat=True)
        )
        messages.success(request, _("%(count)d levels changed.") % {"count": changed})


@admin.register(GrowthValueEntry)
class GrowthValueEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "amount", "reason", "reference")
    list_filter = ("reason",)
    search_fields = ("user__email", "idempotency_key", "reference")
    list_select_related = ("user",)
    date_hierarchy = "created_at"


@admin.register(LevelChange)
class LevelChangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "direction", "from_level", "to_level", "growth_value")
    list_filter = ("direction", "to_level")
    search_fields = ("user__email", "user__nickname")
    list_select_related = ("user", "from_level", "to_level")


@admin.register(BadgeAward)
class BadgeAwardAdmin(ReadOnlyAdmin):
    list_display = ("awarded_at", "user", "rule")
    list_filter = ("rule",)
    search_fields = ("user__email", "user__nickname")
    list_select_related = ("user", "rule")
