"""Start-up checks: the search backend resolves, and (with --database) its schema exists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections

from circlemart.search.backends import backend_for_vendor, backend_path
from circlemart.search.schema import schema_migrated


@register()
def check_backend(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    vendor = connections["default"].vendor
    try:
        backend = backend_for_vendor(vendor)
    except (ImportError, ImproperlyConfigured) as exc:
        return [Error(f"SEARCH_BACKEND: {exc}", id="search.E001")]
    if backend is None:
        return [
            Error(
                f"No search backend for the {vendor} database.",
                hint="Use SQLite or PostgreSQL, or set SEARCH_BACKEND.",
                id="search.E002",
            )
        ]
    return []


@register(Tags.database)
def check_schema(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    if not databases or "default" not in databases:
        return []
    db = connections["default"]
    backend = backend_for_vendor(db.vendor) if backend_path(db.vendor) else None
    try:
        if backend is None or not schema_migrated(db):
            return []
        problems = backend.schema_problems(db)
    except (DatabaseError, ImportError, ImproperlyConfigured):
        return []  # reported by check_backend or by Django's own database checks
    return [
        Error(problem, hint="Run `circlemart migrate` to recreate it.", id="search.E003")
        for problem in problems
    ]
