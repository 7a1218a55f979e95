"""Glue between domain errors and HTML forms, so pages show the same messages as the API."""

from __future__ import annotations

from django import forms

from circlemart.core.errors import DomainError


def form_error(
    form: forms.Form, error: DomainError, *, aliases: dict[str, str] | None = None
) -> None:
    """Attach a service's refusal to the form field it names (or to the form as a whole)."""
    field = (aliases or {}).get(error.field or "", error.field)
    target = field if field and field in form.fields else None
    form.add_error(target, str(error.message))
