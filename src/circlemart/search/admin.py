"""Back office for search: the index, its vocabulary, suggestions (hide or boost them) and
the search log with hot and zero-result searches."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from circlemart.core import cache
from circlemart.core.admin_widgets import money_display
from circlemart.search import segment, selectors, services
from circlemart.search.contracts import SEARCH_INDEX_GENERATION
from circlemart.search.models import ProductDocument, ReindexState, SearchQuery, Suggestion, Term


class ReadOnlyAdmin(ModelAdmin):
    """Derived data: written by the indexer and by searches, never by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProductDocument)
class ProductDocumentAdmin(ReadOnlyAdmin):
    list_display = (
        "product_id",
        "title",
        "category_path",
        "brand_id",
        "price_min_shown",
        "in_stock",
        "sales_count",
        "indexed_at",
    )
    list_filter = ("in_stock",)
    search_fields = ("=product_id", "title")
    ordering = ("-indexed_at",)
    price_min_shown = money_display("price_min", _("lowest price"))
    actions = ("reindex_selected",)

    @admin.action(
        description=_("Reindex the selected products from the catalog"),
        permissions=["view"],
    )
    def reindex_selected(self, request: HttpRequest, queryset: QuerySet[ProductDocument]) -> None:
        change = services.index_products(queryset.values_list("product_id", flat=True))
        self.message_user(
            request,
            _("%(indexed)d updated, %(unchanged)d unchanged, %(removed)d removed.")
            % {"indexed": change.indexed, "unchanged": change.unchanged, "removed": change.removed},
            messages.SUCCESS,
        )


@admin.register(Term)
class TermAdmin(ReadOnlyAdmin):
    list_display = ("display", "term", "doc_frequency")
    search_fields = ("display", "term")
    ordering = ("-doc_frequency", "term")


class SuggestionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Suggestion
        fields = ("kind", "text", "boost", "is_hidden")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        key = segment.normalise(cleaned.get("text") or "")
        if not key:
            raise forms.ValidationError({"text": _("Enter some letters or digits.")})
        duplicates = Suggestion.objects.filter(kind=cleaned.get("kind"), key=key)
        if duplicates.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError({"text": _("This suggestion exists already.")})
        self.instance.key = key
        return cleaned


@admin.register(Suggestion)
class SuggestionAdmin(ModelAdmin):
    form = SuggestionForm

    def save_model(self, request: HttpRequest, obj: Suggestion, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        cache.bump(SEARCH_INDEX_GENERATION)  # hidden or boosted: cached completions change

    def delete_model(self, request: HttpRequest, obj: Suggestion) -> None:
        super().delete_model(request, obj)
        cache.bump(SEARCH_INDEX_GENERATION)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Suggestion]) -> None:
        super().delete_queryset(request, queryset)
        cache.bump(SEARCH_INDEX_GENERATION)

    list_display = ("text", "kind", "product_count", "search_count", "boost", "is_hidden")
    list_editable = ("boost", "is_hidden")
    list_filter = ("kind", "is_hidden")
    search_fields = ("key", "text")
    ordering = ("-search_count", "-product_count", "key")
    fields = ("kind", "text", "boost", "is_hidden", "product_count", "search_count")
    readonly_fields = ("product_count", "search_count")


@admin.register(SearchQuery)
class SearchQueryAdmin(ReadOnlyAdmin):
    list_display = ("query", "result_count", "user", "created_at")
    list_filter = ("created_at",)
    search_fields = ("query",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)

    def get_urls(self) -> list[URLPattern]:
        trends = path(
            "trends/",
            self.admin_site.admin_view(self.trends_view),
            name="search_searchquery_trends",
        )
        return [trends, *super().get_urls()]

    def trends_view(self, request: HttpRequest) -> HttpResponse:
        try:
            days = max(1, min(int(request.GET.get("days", "7")), 90))
        except ValueError:
            days = 7
        context = {
            **self.admin_site.each_context(request),
            "title": _("Search trends"),
            "days": days,
            "hot": selectors.hot_searches(limit=50, days=days),
            "zero": selectors.zero_result_searches(limit=50, days=days),
            "size": selectors.index_size(),
            "state": services.reindex_state(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/search/trends.html", context)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("search.view_searchquery"))


@admin.register(ReindexState)
class ReindexStateAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_product_id", "indexed_count", "started_at", "finished_at")
