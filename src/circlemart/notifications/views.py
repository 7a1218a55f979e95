"""Pages of notifications: /inbox/ (grouped, newest activity first), preferences, the badge."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circlemart.core.errors import DomainError
from circlemart.core.pagination import page_size
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.notifications import selectors, services
from circlemart.notifications.contracts import NotificationPage


def _more_url(page: NotificationPage) -> str:
    if not page.next_cursor:
        return ""
    return f"{reverse('notifications:more')}?{urlencode({'cursor': page.next_cursor})}"


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = selectors.inbox_page(user_id=signed_in_id(request), cursor=None, limit=page_size(None))
    context = {
        "page": page,
        "more_url": _more_url(page),
        "unread": selectors.unread_count(user_id=signed_in_id(request)),
    }
    return render(request, "notifications/inbox.html", context)


@login_required
def inbox_more(request: HttpRequest) -> HttpResponse:
    """htmx: the next page of the inbox, swapped in where the "More" link was."""
    try:
        page = selectors.inbox_page(
            user_id=signed_in_id(request),
            cursor=request.GET.get("cursor") or None,
            limit=page_size(None),
        )
    except DomainError as error:
        return HttpResponse(str(error.message), status=400, content_type="text/plain")
    context = {"page": page, "more_url": _more_url(page)}
    return render(request, "notifications/partials/inbox_items.html", context)


@require_POST
@login_required
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read and follow the notification to what it is about (or back to the inbox)."""
    user_id = signed_in_id(request)
    try:
        services.notification_mark_read(user_id=user_id, notification_id=notification_id)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("notifications:inbox")
    target = request.POST.get("go", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:inbox")


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user_id=signed_in_id(request))
    if count:
        messages.success(request, _("All notifications marked as read."))
    return redirect("notifications:inbox")


class PreferencesForm(forms.Form):
    def __init__(
        self, *args: object, choices: list[tuple[str, str, bool]], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for kind, label, enabled in choices:
            self.fields[kind] = forms.BooleanField(label=label, required=False, initial=enabled)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user_id = signed_in_id(request)
    current = [
        (item.kind.value, item.label, item.is_enabled)
        for item in selectors.preferences(user_id=user_id)
    ]
    form = PreferencesForm(request.POST or None, choices=current)
    if request.method == "POST" and form.is_valid():
        services.preferences_set(
            user_id=user_id, changes={kind: bool(form.cleaned_data[kind]) for kind, _, _ in current}
        )
        messages.success(request, _("Preferences saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


def badge(request: HttpRequest) -> HttpResponse:
    """htmx: the unread badge for the header (empty for visitors and when all is read)."""
    user_id = viewer_id(request)
    count = selectors.unread_count(user_id=user_id) if user_id is not None else 0
    context = {"unread_count": count, "unread_text": selectors.badge_text(count)}
    response = render(request, "notifications/partials/unread_badge.html", context)
    response["Cache-Control"] = "private, no-store"
    return response
