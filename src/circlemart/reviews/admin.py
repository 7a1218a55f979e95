"""Back office for reviews: merchant staff read reviews, reply to them and hide them.

Replies and hiding go through the services (so summaries, notifications and events follow);
the review itself is never edited here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from circlemart.core.errors import DomainError
from circlemart.reviews import services
from circlemart.reviews.models import Answer, Question, Review, ReviewPhoto


class ReviewPhotoInline(TabularInline):
    model = ReviewPhoto
    extra = 0
    fields = ("thumbnail", "width", "height", "position")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReviewAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    reply_text = forms.CharField(
        label=_("Shop reply"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown under the review; its author is notified."),
    )

    class Meta:
        model = Review
        fields: list[str] = []


def _staff_id(request: HttpRequest) -> int:
    pk = request.user.pk
    assert isinstance(pk, int)
    return pk


@admin.register(Review)
class ReviewAdmin(ModelAdmin):
    form = ReviewAdminForm
    list_display = (
        "id",
        "product",
        "author",
        "rating",
        "status",
        "is_verified",
        "helpful_count",
        "created_at",
    )
    list_filter = ("status", "rating", "is_verified")
    search_fields = ("=id", "=product__id", "text", "order_number")
    list_select_related = ("product", "author")
    raw_id_fields = ("product", "author")
    readonly_fields = (
        "product",
        "author",
        "order_number",
        "order_line_id",
        "rating",
        "text",
        "status",
        "hidden_reason",
        "is_verified",
        "helpful_count",
        "follow_up_text",
        "created_at",
    )
    fields = (*readonly_fields, "reply_text")
    inlines = [ReviewPhotoInline]
    actions = ["hide_reviews", "unhide_reviews"]
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("follow-up"))
    def follow_up_text(self, review: Review) -> str:
        follow_up = getattr(review, "follow_up", None)
        return f"[{follow_up.status}] {follow_up.text}" if follow_up else "—"

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        reply = getattr(obj, "merchant_reply", None) if obj is not None else None
        form.base_fields["reply_text"].initial = reply.text if reply else ""
        return form

    def save_model(self, request: HttpRequest, obj: Review, form: Any, change: bool) -> None:
        text = (form.cleaned_data.get("reply_text") or "").strip()
        reply = getattr(obj, "merchant_reply", None)
        if not text or (reply is not None and reply.text == text):
            return
        try:
            services.review_reply_set(replier_id=_staff_id(request), review_id=obj.pk, text=text)
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)

    @admin.action(description=_("Hide the selected reviews"))
    def hide_reviews(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._each(request, queryset, hide=True)

    @admin.action(description=_("Show the selected reviews again"))
    def unhide_reviews(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._each(request, queryset, hide=False)

    def _each(self, request: HttpRequest, queryset: QuerySet[Review], *, hide: bool) -> None:
        try:
            for review_id in queryset.values_list("pk", flat=True):
                if hide:
                    services.review_hide(staff_id=_staff_id(request), review_id=review_id)
                else:
                    services.review_unhide(staff_id=_staff_id(request), review_id=review_id)
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)
            return
        self.message_user(request, _("Reviews updated."), messages.SUCCESS)


class AnswerInline(TabularInline):
    model = Answer
    extra = 0
    fields = ("author", "text", "status", "is_best", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Question)
class QuestionAdmin(ModelAdmin):
    list_display = ("id", "product", "author", "status", "answer_count", "created_at")
    list_filter = ("status",)
    search_fields = ("=id", "=product__id", "text")
    list_select_related = ("product", "author")
    readonly_fields = ("product", "author", "text", "status", "answer_count", "created_at")
    fields = readonly_fields
    inlines = [AnswerInline]
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
