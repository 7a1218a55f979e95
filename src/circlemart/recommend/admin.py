"""Back office of the recommender: model versions (status and training progress, what each
was trained on, its offline metrics, which one serves), switching and rolling back through
services.versions, "Train now" (the recommend.retrain task), the activation history and the
online statistics page (admin_views).

Nothing is edited by hand here: versions come from training jobs, the serving slot moves only
through the version services, which verify the model file before it serves."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action

from circlemart.core.errors import DomainError
from circlemart.recommend import admin_views, tasks
from circlemart.recommend.models import ActivationLog, ModelVersion, ServingSlot
from circlemart.recommend.selectors.stats import offline_metric
from circlemart.recommend.services import versions as version_services

STATS_URL_NAME = "recommend_stats"
MANAGE_PERMISSION = "recommend.change_modelversion"
VIEW_PERMISSION = "recommend.view_modelversion"
# The training counts the list shows first, when the job recorded them.
TRAINED_ON_SHOWN = {"users": _("users"), "items": _("products"), "interactions": _("interactions")}


def _operator_id(request: HttpRequest) -> int:
    user_id = request.user.pk
    assert isinstance(user_id, int)  # the admin lets only signed-in staff this far
    return user_id


def _rollback_target() -> ModelVersion | None:
    """The version a rollback would serve again (the version services decide)."""
    target_id = version_services.rollback_target_id()
    return ModelVersion.objects.filter(pk=target_id).first() if target_id is not None else None


def _metric_cell(version: ModelVersion, name: str) -> str:
    value = offline_metric(version.metrics or {}, name)
    return "—" if value is None else f"{value:.4f}"


def _train_now_refusal() -> str:
    """Why training cannot start now ("" when it can)."""
    if ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).exists():
        return gettext("A model is training already; wait until it finishes.")
    return ""


class _ReadOnly(ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(_ReadOnly):
    list_display = (
        "label",
        "status_shown",
        "created_at",
        "trained_on_shown",
        "ndcg_shown",
        "recall_shown",
        "coverage_shown",
        "serving_shown",
    )
    list_filter = ("status", "created_at")
    search_fields = ("label",)
    ordering = ("-id",)
    change_list_template = "admin/recommend/modelversion/change_list.html"
    change_form_template = "admin/recommend/modelversion/change_form.html"
    actions_list = ("train_now", "roll_back", "open_stats", "open_history")
    actions_detail = ("activate_one",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "label",
                    "kind",
                    "status_shown",
                    "serving_shown",
                    "progress_note",
                    "error",
                    "created_at",
                    "started_at",
                    "finished_at",
                )
            },
        ),
        (_("Offline metrics"), {"fields": ("metrics_shown",)}),
        (_("Trained on"), {"fields": ("trained_on_table",)}),
        (_("Parameters"), {"fields": ("parameters_shown",)}),
        (_("File"), {"fields": ("artifact", "sha256", "catalogue_id")}),
        (_("Activation history"), {"fields": ("history_shown",)}),
    )
    readonly_fields = tuple(name for _title, block in fieldsets for name in block["fields"])

    def has_manage_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm(MANAGE_PERMISSION))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        training = ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).exists()
        # The page reloads itself while a model trains, so the progress bar moves.
        return super().changelist_view(request, {**(extra_context or {}), "is_training": training})

    # --- columns ---

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, version: ModelVersion) -> SafeString:
        label = version.get_status_display()
        if version.status != ModelVersion.Status.TRAINING:
            return format_html(
                '<span class="cm-rec-status is-{}" data-testid="status-{}">{}</span>',
                version.status,
                version.pk,
                label,
            )
        percent = round(version.progress * 100)
        return format_html(
            '<span class="cm-rec-status is-training" data-testid="status-{}">{} {}%</span>'
            '<progress class="cm-rec-progress" max="100" value="{}" title="{}">{}%</progress>',
            version.pk,
            label,
            percent,
            percent,
            version.progress_note,
            percent,
        )

    @admin.display(description=_("trained on"))
    def trained_on_shown(self, version: ModelVersion) -> str:
        counts = version.trained_on or {}
        shown = [
            f"{label} {counts[key]:,}"
            for key, label in TRAINED_ON_SHOWN.items()
            if isinstance(counts.get(key), int)
        ]
        return " · ".join(shown) or "—"

    @admin.display(description="NDCG@10")
    def ndcg_shown(self, version: ModelVersion) -> str:
        return _metric_cell(version, "ndcg@10")

    @admin.display(description="Recall@10")
    def recall_shown(self, version: ModelVersion) -> str:
        return _metric_cell(version, "recall@10")

    @admin.display(description=_("coverage"))
    def coverage_shown(self, version: ModelVersion) -> str:
        return _metric_cell(version, "coverage")

    @admin.display(description=_("serving"), boolean=False)
    def serving_shown(self, version: ModelVersion) -> SafeString | str:
        if not getattr(version, "is_serving", False):
            return ""
        return format_html(
            '<strong class="cm-rec-serving" data-testid="serving-marker">● {}</strong>',
            gettext("serving"),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModelVersion]:
        serving = ServingSlot.objects.filter(name="default", version=OuterRef("pk"))
        return super().get_queryset(request).annotate(is_serving=Exists(serving))

    # --- the detail page ---

    @admin.display(description=_("offline metrics"))
    def metrics_shown(self, version: ModelVersion) -> SafeString | str:
        return _json_table(version.metrics or {}, testid="metrics")

    @admin.display(description=_("trained on"))
    def trained_on_table(self, version: ModelVersion) -> SafeString | str:
        return _json_table(version.trained_on or {}, testid="trained-on")

    @admin.display(description=_("parameters"))
    def parameters_shown(self, version: ModelVersion) -> SafeString | str:
        return _json_table(version.parameters or {}, testid="parameters")

    @admin.display(description=_("activation history"))
    def history_shown(self, version: ModelVersion) -> SafeString | str:
        rows = ActivationLog.objects.filter(version=version).select_related(
            "previous_version", "actor"
        )[:20]
        if not rows:
            return gettext("Never activated.")
        return format_html(
            '<table class="cm-rec-table" data-testid="history"><tbody>{}</tbody></table>',
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        f"{row.at:%Y-%m-%d %H:%M}",
                        gettext("after %(label)s") % {"label": row.previous_version}
                        if row.previous_version
                        else gettext("first model"),
                        row.actor or gettext("scheduled job"),
                        row.reason,
                    )
                    for row in rows
                ),
            ),
        )

    # --- actions ---

    def get_urls(self) -> list[URLPattern]:
        stats = path("stats/", self.admin_site.admin_view(self.stats_view), name=STATS_URL_NAME)
        return [stats, *super().get_urls()]

    def _confirm(
        self,
        request: HttpRequest,
        *,
        title: str,
        intro: str,
        submit: str,
        testid: str,
        facts: list[tuple[str, str]],
        danger: bool = False,
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit": submit,
            "testid": testid,
            "facts": facts,
            "danger": danger,
            "opts": self.model._meta,
            "back_url": reverse("admin:recommend_modelversion_changelist"),
        }
        return TemplateResponse(request, "admin/recommend/modelversion/confirm.html", context)

    def _serving_label(self) -> str:
        active = ServingSlot.objects.filter(name="default").select_related("version").first()
        return active.version.label if active and active.version else gettext("no model")

    def _to_list(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:recommend_modelversion_changelist"))

    @action(
        description=_("Activate"), url_path="activate", permissions=["manage"], icon="play_arrow"
    )
    def activate_one(self, request: HttpRequest, object_id: str) -> HttpResponse:
        version = get_object_or_404(ModelVersion, pk=object_id)
        if request.method == "POST":
            try:
                version_services.version_activate(
                    version_id=version.pk,
                    actor_id=_operator_id(request),
                    reason=gettext("activated in the back office"),
                )
            except DomainError as error:
                self.message_user(request, f"{version.label}: {error.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(label)s now serves recommendations.") % {"label": version.label},
                    messages.SUCCESS,
                )
            return self._to_list()
        return self._confirm(
            request,
            title=gettext("Activate %(label)s?") % {"label": version.label},
            intro=gettext(
                "Every recommendation surface switches to this model within seconds. Its file "
                "is verified (hash and catalogue) first; a model that fails is refused."
            ),
            submit=gettext("Activate"),
            testid="activate-form",
            facts=[
                (gettext("serving now"), self._serving_label()),
                (gettext("activate"), version.label),
                ("NDCG@10", _metric_cell(version, "ndcg@10")),
            ],
        )

    @action(
        description=_("Roll back to previous"),
        url_path="rollback",
        permissions=["manage"],
        icon="undo",
    )
    def roll_back(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                version_services.version_rollback(actor_id=_operator_id(request))
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Rolled back: %(label)s serves again.")
                    % {"label": self._serving_label()},
                    messages.SUCCESS,
                )
            return self._to_list()
        previous = _rollback_target()
        return self._confirm(
            request,
            title=gettext("Roll back to the previous model?"),
            intro=gettext(
                "The model that served before the current one serves again, once its file verifies."
            ),
            submit=gettext("Roll back"),
            testid="rollback-form",
            danger=True,
            facts=[
                (gettext("serving now"), self._serving_label()),
                (gettext("back to"), previous.label if previous else gettext("none")),
            ],
        )

    @action(
        description=_("Train now"), url_path="train", permissions=["manage"], icon="model_training"
    )
    def train_now(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            refusal = _train_now_refusal()
            if refusal:
                self.message_user(request, refusal, messages.ERROR)
            else:
                transaction.on_commit(lambda: tasks.retrain.delay(force=True), robust=True)
                self.message_user(
                    request,
                    gettext(
                        "Training has been queued. The new version appears here with its "
                        "progress; it serves only if it is not worse than the current one."
                    ),
                    messages.SUCCESS,
                )
            return self._to_list()
        return self._confirm(
            request,
            title=gettext("Train a new model now?"),
            intro=gettext(
                "The scheduled job runs now: it trains on the shop's latest data and switches "
                "to the new model when its validation score is not more than 10% worse than "
                "the serving one's."
            ),
            submit=gettext("Train now"),
            testid="train-form",
            facts=[(gettext("serving now"), self._serving_label())],
        )

    @action(description=_("Statistics"), url_path="open-stats", icon="monitoring")
    def open_stats(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse(f"admin:{STATS_URL_NAME}"))

    @action(description=_("Activation history"), url_path="open-history", icon="history")
    def open_history(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:recommend_activationlog_changelist"))

    def stats_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": gettext("Recommendation statistics"),
            "opts": self.model._meta,
            **admin_views.stats_context(request),
        }
        return TemplateResponse(request, "admin/recommend/stats.html", context)


def _json_table(values: dict[str, Any], *, testid: str) -> SafeString | str:
    if not values:
        return "—"

    def shown(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4f}"
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    return format_html(
        '<table class="cm-rec-table" data-testid="{}"><tbody>{}</tbody></table>',
        testid,
        format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            ((key, shown(value)) for key, value in sorted(values.items())),
        ),
    )


@admin.register(ActivationLog)
class ActivationLogAdmin(_ReadOnly):
    """Every switch of the serving model: when, to which version, from which, by whom, why."""

    list_display = ("at", "version", "previous_version", "actor_shown", "reason")
    list_filter = ("at",)
    list_select_related = ("version", "previous_version", "actor")
    ordering = ("-at", "-id")

    @admin.display(description=_("by"))
    def actor_shown(self, row: ActivationLog) -> str:
        return str(row.actor) if row.actor_id else gettext("scheduled job")
