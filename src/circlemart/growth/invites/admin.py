"""Back office of invites: reward rules and fission tasks operators edit; invites, milestones
(held ones with their reasons, approved or rejected here), rewards, codes and completed
tasks read-only; and the referral tree of a user (upline and downline, a few levels)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from circlemart.core.errors import DomainError
from circlemart.growth.invites import selectors, services
from circlemart.growth.invites.contracts import Milestone, Review
from circlemart.growth.invites.models import (
    FissionCompletion,
    FissionTask,
    Invite,
    InviteCode,
    InviteMilestone,
    InviteReward,
    InviteRewardRule,
)


class _ReadOnly(ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InviteRewardRule)
class InviteRewardRuleAdmin(ModelAdmin):
    """What each milestone pays each side. "Nothing" is a valid choice: recruiting alone need
    not pay the inviter anything."""

    list_display = (
        "milestone",
        "inviter_kind",
        "inviter_points",
        "inviter_coupon",
        "invitee_kind",
        "invitee_points",
        "invitee_coupon",
        "updated_at",
    )
    fields = (
        "milestone",
        ("inviter_kind", "inviter_points", "inviter_coupon"),
        ("invitee_kind", "invitee_points", "invitee_coupon"),
    )


@admin.register(FissionTask)
class FissionTaskAdmin(ModelAdmin):
    list_display = (
        "title",
        "required_friends",
        "reward_kind",
        "reward_points",
        "reward_coupon",
        "is_active",
        "starts_at",
        "ends_at",
        "completed",
    )
    list_filter = ("is_active",)

    @admin.display(description=_("completed by"))
    def completed(self, task: FissionTask) -> int:
        return task.completions.count()


class InviteRewardInline(TabularInline):
    model = InviteReward
    extra = 0
    can_delete = False
    fields = ("side", "user", "kind", "points", "coupon_template_id", "state", "paid_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InviteMilestone)
class InviteMilestoneAdmin(ModelAdmin):
    """Held milestones wait here with the reasons the risk check gave; approving pays their
    rewards, rejecting refuses them. Both are recorded with who decided and when."""

    list_display = (
        "id",
        "invite",
        "milestone",
        "reached_at",
        "review",
        "reason_codes",
        "reviewed_by",
        "reviewed_at",
    )
    list_filter = ("review", "milestone")
    search_fields = ("invite__inviter__email", "invite__invitee__email", "reference")
    ordering = ("-reached_at", "-id")
    actions = ("approve", "reject")
    readonly_fields = (
        "invite",
        "milestone",
        "reached_at",
        "reference",
        "review",
        "reasons_shown",
        "reviewed_by",
        "reviewed_at",
        "review_note",
    )
    fields = readonly_fields
    inlines = (InviteRewardInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("reasons"))
    def reason_codes(self, row: InviteMilestone) -> str:
        return ", ".join(str(reason.get("code", "")) for reason in row.reasons or [])

    @admin.display(description=_("reasons"))
    def reasons_shown(self, row: InviteMilestone) -> str:
        if not row.reasons:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong>: {}</li>",
                ((reason.get("code", ""), reason.get("detail", "")) for reason in row.reasons),
            ),
        )

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[InviteMilestone], *, approve: bool
    ) -> None:
        done, refused = 0, []
        for milestone_id in queryset.filter(review=Review.HELD).values_list("pk", flat=True):
            try:
                services.invite_milestone_review(
                    actor_id=int(request.user.pk or 0), milestone_id=milestone_id, approve=approve
                )
            except DomainError as refusal:
                refused.append(f"#{milestone_id}: {refusal.message}")
            else:
                done += 1
        self.message_user(request, gettext("%(count)d milestones decided.") % {"count": done})
        for message in refused:
            self.message_user(request, message, level=messages.ERROR)

    @admin.action(description=_("Approve: pay the held rewards"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[InviteMilestone]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject: refuse the held rewards"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[InviteMilestone]) -> None:
        self._decide(request, queryset, approve=False)


class InviteMilestoneInline(TabularInline):
    model = InviteMilestone
    extra = 0
    can_delete = False
    fields = ("milestone", "reached_at", "reference", "review", "reasons")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invite)
class InviteAdmin(_ReadOnly):
    """Who invited whom, with first- and last-touch attribution; "tree" opens the referral
    tree of the inviter."""

    list_display = (
        "id",
        "inviter",
        "invitee",
        "bound_at",
        "bound_via",
        "first_touch_channel",
        "tree",
    )
    list_filter = ("bound_via",)
    search_fields = ("inviter__email", "invitee__email", "code")
    ordering = ("-bound_at", "-id")
    list_select_related = ("inviter", "invitee")
    readonly_fields = (
        "inviter",
        "invitee",
        "code",
        "bound_via",
        "bound_at",
        "first_touch_code",
        "first_touch_at",
        "first_touch_channel",
        "first_touch_utm",
        "last_touch_code",
        "last_touch_at",
        "last_touch_channel",
        "last_touch_utm",
        "signup_device_owner_id",
    )
    fields = readonly_fields
    inlines = (InviteMilestoneInline,)

    @admin.display(description=_("referral tree"))
    def tree(self, invite: Invite) -> str:
        url = reverse("admin:growth_invite_tree", args=[invite.inviter_id])
        return format_html('<a href="{}">{}</a>', url, gettext("tree"))

    def get_urls(self) -> list[URLPattern]:
        view = path(
            "tree/<int:user_id>/",
            self.admin_site.admin_view(self.tree_view),
            name="growth_invite_tree",
        )
        return [view, *super().get_urls()]

    def tree_view(self, request: HttpRequest, user_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            depth = min(max(int(request.GET.get("depth", "3")), 1), 6)
        except ValueError:
            depth = 3
        tree = selectors.referral_tree(user_id, depth=depth)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Referral tree"),
            "tree": tree,
            "depth": depth,
            "counts": [
                (value, label, tree.milestone_counts.get(value, 0))
                for value, label in Milestone.choices
            ],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/growth/invite/tree.html", context)


@admin.register(InviteReward)
class InviteRewardAdmin(_ReadOnly):
    list_display = ("id", "milestone", "side", "user", "kind", "points", "state", "paid_at")
    list_filter = ("state", "side", "kind")
    search_fields = ("user__email", "grant_key")


@admin.register(InviteCode)
class InviteCodeAdmin(_ReadOnly):
    list_display = ("code", "user", "created_at", "visit_count", "seen_at")
    search_fields = ("code", "user__email")
    exclude = ("seen_ip_digest", "seen_browser")


@admin.register(FissionCompletion)
class FissionCompletionAdmin(_ReadOnly):
    list_display = ("task", "user", "completed_at")
    list_filter = ("task",)
    search_fields = ("user__email",)
