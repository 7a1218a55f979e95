"""The task centre page (/growth/tasks/): newcomer, daily and weekly tasks with progress and a
claim button once a task is done (htmx swaps the task's card in place)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circlemart.core.errors import DomainError
from circlemart.core.web import signed_in_id
from circlemart.growth.tasks_centre import selectors, services


@login_required
def tasks_page(request: HttpRequest) -> HttpResponse:
    tasks = selectors.task_list(user_id=signed_in_id(request))
    sections = [
        ("newcomer", _("Newcomer tasks"), tasks.newcomer),
        ("daily", _("Daily tasks"), tasks.daily),
        ("weekly", _("Weekly tasks"), tasks.weekly),
    ]
    return render(request, "growth/tasks_centre/tasks.html", {"sections": sections})


@require_POST
@login_required
def task_claim(request: HttpRequest, code: str) -> HttpResponse:
    user_id = signed_in_id(request)
    error, status, claimed = "", 200, None
    try:
        claimed = services.task_claim(user_id=user_id, code=code)
    except DomainError as refusal:
        error, status = str(refusal.message), refusal.status
    if not getattr(request, "htmx", False):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Reward claimed."))
        return redirect("growth:tasks")
    tasks = selectors.task_list(user_id=user_id)
    card = next((c for c in [*tasks.newcomer, *tasks.daily, *tasks.weekly] if c.code == code), None)
    if card is None:
        raise Http404(_("This task does not exist."))
    context = {"task": card, "error": error, "claimed": claimed}
    return render(request, "growth/tasks_centre/partials/task.html", context, status=status)
