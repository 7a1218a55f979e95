"""Back office of the games: operators configure a game and its prize pool (prizes inline) and
watch live counters (plays today, prizes left, budget used) in the list and on a stats page.
Counters are moved only by plays: saving a game or a prize never writes them, and plays and
chance grants are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from circlemart.growth.games import selectors
from circlemart.growth.games.models import Game, GameChanceGrant, GamePrize, GameSpin


def _save_without_counters(obj: Game | GamePrize) -> None:
    """Save what an operator may change; a concurrent play's counter update survives."""
    if obj.pk is None:
        obj.save()
        return
    fields = [
        field.name
        for field in obj._meta.concrete_fields
        if not field.primary_key and field.name not in obj.COUNTERS and field.editable
    ]
    obj.save(update_fields=fields)


class GamePrizeInline(TabularInline):
    model = GamePrize
    fields = (
        "position",
        "name",
        "name_en",
        "kind",
        "points",
        "coupon_template",
        "value",
        "weight",
        "stock",
        "won_count",
        "left",
    )
    readonly_fields = ("won_count", "left")
    extra = 0

    @admin.display(description=_("left"))
    def left(self, prize: GamePrize) -> str:
        if prize.pk is None or prize.stock is None:
            return "∞" if prize.pk is not None else ""
        return str(prize.stock - prize.won_count)


@admin.register(Game)
class GameAdmin(ModelAdmin):
    list_display = (
        "name",
        "slug",
        "kind",
        "is_active",
        "plays_today",
        "prizes_left",
        "budget_shown",
        "stats_link",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("budget_used",)
    fields = (
        "name",
        "name_en",
        "slug",
        "kind",
        "description",
        "is_active",
        "starts_at",
        "ends_at",
        "free_chances_per_day",
        "chance_price",
        "bought_chances_per_day",
        "budget",
        "budget_used",
        "position",
    )
    inlines = (GamePrizeInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Game]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                today_plays=Count("spins", filter=Q(spins__day=selectors.today()), distinct=True)
            )
            .prefetch_related("prizes")
        )

    @admin.display(description=_("plays today"), ordering="today_plays")
    def plays_today(self, game: Game) -> int:
        return int(getattr(game, "today_plays", 0))

    @admin.display(description=_("prizes left"))
    def prizes_left(self, game: Game) -> str:
        prizes = [prize for prize in game.prizes.all() if prize.kind != "none"]
        if any(prize.stock is None for prize in prizes):
            return "∞"
        return str(sum((prize.stock or 0) - prize.won_count for prize in prizes))

    @admin.display(description=_("budget used"))
    def budget_shown(self, game: Game) -> str:
        return f"{game.budget_used} / {game.budget}"

    @admin.display(description=_("live counters"))
    def stats_link(self, game: Game) -> SafeString:
        url = reverse("admin:growth_game_stats", args=[game.pk])
        return format_html('<a href="{}">{}</a>', url, _("Stats"))

    def save_model(
        self, request: HttpRequest, obj: Game, form: ModelForm[Game], change: bool
    ) -> None:
        _save_without_counters(obj)

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm[Game],
        formset: BaseInlineFormSet[GamePrize, Game, ModelForm[GamePrize]],
        change: bool,
    ) -> None:
        for prize in formset.save(commit=False):
            _save_without_counters(prize)
        for prize in formset.deleted_objects:
            prize.delete()
        formset.save_m2m()

    def get_urls(self) -> list[URLPattern]:
        stats = path(
            "<int:game_id>/stats/",
            self.admin_site.admin_view(self.stats_view),
            name="growth_game_stats",
        )
        return [stats, *super().get_urls()]

    def stats_view(self, request: HttpRequest, game_id: int) -> HttpResponse:
        game = Game.objects.filter(pk=game_id).first()
        if game is None or not self.has_view_permission(request, game):
            raise PermissionDenied
        stats = selectors.game_stats(game_id)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Live counters: %(name)s") % {"name": game.name},
            "stats": stats,
            "opts": self.model._meta,
            "original": game,
        }
        return TemplateResponse(request, "admin/growth/game/stats.html", context)


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GameSpin)
class GameSpinAdmin(ReadOnlyAdmin):
    """Every play and what it paid, read-only."""

    list_display = ("created_at", "game", "user", "prize_name", "kind", "points", "value", "chance")
    list_filter = ("game", "kind", "chance", "day")
    search_fields = ("user__email", "user__nickname", "idempotency_key")
    list_select_related = ("game", "user")
    readonly_fields = [field.name for field in GameSpin._meta.fields]


@admin.register(GameChanceGrant)
class GameChanceGrantAdmin(ReadOnlyAdmin):
    """Extra chances bought or earned, read-only."""

    list_display = ("created_at", "game", "user", "count", "reason", "points_spent")
    list_filter = ("game", "reason")
    search_fields = ("user__email", "user__nickname", "idempotency_key")
    list_select_related = ("game", "user")
    readonly_fields = [field.name for field in GameChanceGrant._meta.fields]
