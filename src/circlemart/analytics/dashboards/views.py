"""The dashboard pages under /admin/analytics/dashboards/<name>/: thin views that read the
controls, build the page content and render it as HTML or CSV (`?format=csv`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from circlemart.analytics.dashboards import content as page_content
from circlemart.analytics.dashboards.csv_export import csv_filename, csv_text, part_names
from circlemart.analytics.dashboards.forms import FunnelForm, RangeForm, RetentionForm
from circlemart.analytics.dashboards.pages import DASHBOARDS, Dashboard
from circlemart.analytics.dashboards.selectors import metric_catalogue
from circlemart.core.errors import DomainError

VIEW_PERMISSION = "analytics.view_dailymetric"


def may_view_dashboards(request: HttpRequest) -> bool:
    """Analysts and admins: whoever may read the daily metrics table."""
    return bool(request.user.is_active and request.user.is_staff) and bool(
        request.user.has_perm(VIEW_PERMISSION)
    )


def _form(dashboard: Dashboard, data: QueryDict) -> RangeForm:
    if dashboard.kind == "funnel":
        bound = data.copy()
        bound.setdefault("window", "86400")
        return FunnelForm(bound, dimensions=list(dashboard.dimensions))
    if dashboard.kind == "retention":
        bound = data.copy()
        bound.setdefault("grain", "week")
        bound.setdefault("kind", "first_time")
        return RetentionForm(bound, dimensions=[])
    metrics = dashboard.metrics(metric_catalogue())
    return RangeForm(data, dimensions=dashboard.drill_downs(metrics))


def _content(dashboard: Dashboard, form: RangeForm) -> page_content.PageContent:
    data = form.cleaned_data
    if dashboard.kind == "funnel":
        return page_content.funnel_page(
            dashboard=dashboard,
            period=form.period,
            steps=data["steps"],
            window_seconds=data["window"],
            dimension=form.drill_down,
        )
    if dashboard.kind == "retention":
        return page_content.retention_page(
            dashboard=dashboard, period=form.period, grain=data["grain"], kind=data["kind"]
        )
    return page_content.metrics_page(
        dashboard=dashboard, period=form.period, dimension=form.drill_down
    )


def _csv_response(content: page_content.PageContent, part: str) -> HttpResponse:
    response = HttpResponse(csv_text(content, part=part), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(content, part=part)}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _refused_csv(message: str, status: int = 400) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def dashboard_view(request: HttpRequest, name: str) -> HttpResponse:
    if not may_view_dashboards(request):
        raise PermissionDenied
    dashboard = DASHBOARDS.get(name)
    if dashboard is None:
        raise Http404(name)
    form = _form(dashboard, request.GET)
    wants_csv = request.GET.get("format") == "csv"
    part = request.GET.get("part", "")
    content, status = None, 400
    if form.is_valid():
        try:
            content, status = _content(dashboard, form), 200
        except DomainError as refused:  # the analyses' own checks, a warehouse timeout
            form.add_error(None, str(refused.message))
            status = refused.status
    if wants_csv:
        if content is None:
            errors = [str(error) for errors in form.errors.values() for error in errors]
            return _refused_csv("\n".join(errors), status)
        if part and part not in part_names(content):
            return _refused_csv(_("This dashboard has no part “%(part)s”.") % {"part": part})
        return _csv_response(content, part)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": _("Analytics: %(page)s") % {"page": dashboard.title},
        "dashboard": dashboard,
        "dashboards": [
            (board, reverse("analytics-dashboard", args=[board.name]))
            for board in DASHBOARDS.values()
        ],
        "form": form,
        "content": content,
        "figures": (
            {chart.id: chart.figure for chart in content.charts} if content is not None else {}
        ),
        "csv_query": _csv_query(request.GET),
    }
    return TemplateResponse(request, "analytics/dashboards/page.html", context, status=status)


def _csv_query(params: QueryDict) -> str:
    query = params.copy()
    query["format"] = "csv"
    query.pop("part", None)
    return query.urlencode()


def index_view(request: HttpRequest) -> HttpResponse:
    """/admin/analytics/dashboards/ opens the overview."""
    return dashboard_view(request, "overview")
