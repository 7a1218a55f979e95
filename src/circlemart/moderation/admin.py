"""Back office for moderators: the sensitive-word list, the review queue and user reports.

Access is by role (moderator or admin), not by per-model permissions. Edits of the word list
go through the services so every process rebuilds its matcher; decisions go through
`services.review_decide` so the owning app hears of them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from circlemart.accounts import selectors as accounts_selectors
from circlemart.accounts.contracts import Role
from circlemart.core import clock
from circlemart.core.errors import DomainError
from circlemart.moderation import services
from circlemart.moderation.contracts import Decision, ReviewStatus
from circlemart.moderation.models import (
    Report,
    ReviewItem,
    SensitiveWord,
    WordAction,
    WordCategory,
)


def is_moderator(request: HttpRequest) -> bool:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return bool(
        accounts_selectors.user_has_role(user, Role.MODERATOR)
        or accounts_selectors.user_has_role(user, Role.ADMIN)
    )


class ModeratorAccess:
    """Moderators and admins may use these pages, whatever their model permissions."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_moderator(request)


class WordImportForm(forms.Form):
    words = forms.CharField(
        label=_("Words"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("One word or phrase per line. Lines starting with # are skipped."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=WordCategory.choices)
    action = forms.ChoiceField(label=_("Action"), choices=WordAction.choices)


@admin.register(SensitiveWord)
class SensitiveWordAdmin(ModeratorAccess, ModelAdmin):
    list_display = ("word", "category", "action", "is_active", "updated_at")
    list_filter = ("category", "action", "is_active")
    search_fields = ("word", "note")
    fields = ("word", "category", "action", "is_active", "note")
    actions = ("activate", "deactivate")
    change_list_template = "admin/moderation/sensitiveword/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_moderator(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_moderator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_moderator(request)

    def save_model(self, request: HttpRequest, obj: SensitiveWord, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.word_list_changed()

    def delete_model(self, request: HttpRequest, obj: SensitiveWord) -> None:
        super().delete_model(request, obj)
        services.word_list_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SensitiveWord]) -> None:
        super().delete_queryset(request, queryset)
        services.word_list_changed()

    @admin.action(description=_("Activate selected words"))
    def activate(self, request: HttpRequest, queryset: QuerySet[SensitiveWord]) -> None:
        count = services.words_set_active(
            word_ids=list(queryset.values_list("pk", flat=True)), is_active=True
        )
        self.message_user(request, gettext("%(count)d words activated.") % {"count": count})

    @admin.action(description=_("Deactivate selected words"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[SensitiveWord]) -> None:
        count = services.words_set_active(
            word_ids=list(queryset.values_list("pk", flat=True)), is_active=False
        )
        self.message_user(request, gettext("%(count)d words deactivated.") % {"count": count})

    def get_urls(self) -> list[URLPattern]:
        import_words = path(
            "import/",
            self.admin_site.admin_view(self.import_view),
            name="moderation_sensitiveword_import",
        )
        return [import_words, *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not is_moderator(request):
            raise DjangoPermissionDenied
        form = WordImportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                count = services.words_import(
                    text=form.cleaned_data["words"],
                    category=form.cleaned_data["category"],
                    action=form.cleaned_data["action"],
                )
            except DomainError as exc:
                form.add_error("words", str(exc.message))
            else:
                self.message_user(request, gettext("%(count)d words imported.") % {"count": count})
                return HttpResponseRedirect(reverse("admin:moderation_sensitiveword_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import sensitive words"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/moderation/sensitiveword/import.html", context)


class OverdueFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Overdue")), ("no", _("Within SLA"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        open_items = queryset.filter(status=ReviewStatus.OPEN)
        if self.value() == "yes":
            return open_items.filter(due_at__lt=clock.now())
        if self.value() == "no":
            return open_items.filter(due_at__gte=clock.now())
        return queryset


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
        help_text=_("Shown to the author."),
    )


class ReportInline(TabularInline):
    model = Report
    extra = 0
    can_delete = False
    fields = ("reporter_id", "reason", "detail", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_moderator(request)


@admin.register(ReviewItem)
class ReviewItemAdmin(ModeratorAccess, ModelAdmin):
    list_display = (
        "id",
        "content_type",
        "content_id",
        "short_excerpt",
        "reason",
        "source",
        "priority",
        "report_count",
        "status",
        "due_at",
        "overdue",
    )
    list_filter = ("status", OverdueFilter, "content_type", "source", "priority")
    search_fields = ("excerpt", "reason", "content_id", "author_id")
    ordering = ("-priority", "created_at", "id")
    actions = ("approve", "reject")
    readonly_fields = (
        "content_type",
        "content_id",
        "author_id",
        "excerpt",
        "reason",
        "source",
        "priority",
        "report_count",
        "status",
        "created_at",
        "due_at",
        "decided_by_id",
        "decided_at",
        "decision_reason",
    )
    fields = readonly_fields
    inlines = (ReportInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_moderator(request)  # actions need it; every field is read-only

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return super().get_actions(request) if is_moderator(request) else {}

    @admin.display(description=_("excerpt"))
    def short_excerpt(self, item: ReviewItem) -> str:
        return item.excerpt[:60] + ("…" if len(item.excerpt) > 60 else "")

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, item: ReviewItem) -> bool:
        return item.status == ReviewStatus.OPEN and item.due_at < clock.now()

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[ReviewItem], decision: Decision, reason: str
    ) -> None:
        done, refused = 0, []
        for item_id in queryset.filter(status=ReviewStatus.OPEN).values_list("pk", flat=True):
            try:
                services.review_decide(
                    moderator_id=int(request.user.pk or 0),
                    item_id=item_id,
                    decision=decision,
                    reason=reason,
                )
            except DomainError as exc:
                refused.append(f"#{item_id}: {exc.message}")
            else:
                done += 1
        self.message_user(request, gettext("%(count)d items decided.") % {"count": done})
        for message in refused:
            self.message_user(request, message, level=messages.ERROR)

    @admin.action(description=_("Approve selected items"))
    def approve(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> None:
        self._decide(request, queryset, Decision.APPROVE, "")

    @admin.action(description=_("Reject selected items (asks for a reason)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[ReviewItem]) -> HttpResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._decide(request, queryset, Decision.REJECT, form.cleaned_data["reason"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reject review items"),
            "form": form,
            "items": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/moderation/reviewitem/reject.html", context)


@admin.register(Report)
class ReportAdmin(ModeratorAccess, ModelAdmin):
    list_display = (
        "id",
        "content_type",
        "content_id",
        "reason",
        "reporter_id",
        "author_id",
        "review_item",
        "created_at",
    )
    list_filter = ("reason", "content_type")
    search_fields = ("content_id", "reporter_id", "author_id", "detail")
    readonly_fields = (
        "reporter_id",
        "content_type",
        "content_id",
        "author_id",
        "reason",
        "detail",
        "excerpt",
        "review_item",
        "created_at",
    )
    fields = readonly_fields
    list_select_related = ("review_item",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
