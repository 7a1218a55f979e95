"""Glue between domain errors and HTML forms, so pages show the same messages as the API."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest

from circlemart.core.errors import DomainError


def form_error(
    form: forms.Form, error: DomainError, *, aliases: dict[str, str] | None = None
) -> None:
    """Attach a service's refusal to the form field it names (or to the form as a whole)."""
    field = (aliases or {}).get(error.field or "", error.field)
    target = field if field and field in form.fields else None
    form.add_error(target, str(error.message))


def viewer_id(request: HttpRequest) -> int | None:
    """The signed-in user's id (session or bearer token), or None for a visitor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    pk = user.pk
    return pk if isinstance(pk, int) else None


def signed_in_id(request: HttpRequest) -> int:
    """For endpoints whose auth already guarantees a signed-in caller."""
    user_id = viewer_id(request)
    if user_id is None:
        raise PermissionError("endpoint reached without a signed-in caller")
    return user_id
