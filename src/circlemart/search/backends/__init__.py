"""Which search backend serves this database.

By default the database vendor decides: SQLite → FTS5, PostgreSQL → tsvector + pg_trgm.
`SEARCH_BACKEND` (a dotted path to a `SearchBackend` class) overrides it; `search.checks`
verifies the choice at start-up.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils.module_loading import import_string

from circlemart.search.backends.base import SearchBackend

BY_VENDOR = {
    "sqlite": "circlemart.search.backends.sqlite_fts.SqliteFtsBackend",
    "postgresql": "circlemart.search.backends.postgres.PostgresBackend",
}

_instances: dict[str, SearchBackend] = {}


def backend_path(vendor: str) -> str | None:
    configured = str(getattr(settings, "SEARCH_BACKEND", "") or "")
    return configured or BY_VENDOR.get(vendor)


def backend_for_vendor(vendor: str) -> SearchBackend | None:
    path = backend_path(vendor)
    if path is None:
        return None
    backend = _instances.get(path)
    if backend is None:
        backend = import_string(path)()
        if not isinstance(backend, SearchBackend):
            raise ImproperlyConfigured(f"{path} does not implement SearchBackend")
        _instances[path] = backend
    return backend


def get_backend() -> SearchBackend:
    """The backend for the default database."""
    backend = backend_for_vendor(connection.vendor)
    if backend is None:
        raise ImproperlyConfigured(
            f"No search backend for the {connection.vendor} database; set SEARCH_BACKEND."
        )
    return backend
