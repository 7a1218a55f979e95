"""The backend's database objects beside the Django-modelled tables (FTS5 tables and
triggers on SQLite; extension, generated tsvector column and GIN indexes on PostgreSQL)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder

from circlemart.search.backends import backend_for_vendor

logger = logging.getLogger(__name__)

SCHEMA_MIGRATION = ("search", "0002_backend_schema")


def schema_migrated(db: BaseDatabaseWrapper) -> bool:
    recorder = MigrationRecorder(db)
    return recorder.has_table() and SCHEMA_MIGRATION in recorder.applied_migrations()


def ensure_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: recreate what a table rebuild dropped, then refill it from the rows."""
    db = connections[using]
    backend = backend_for_vendor(db.vendor)
    if backend is None or not schema_migrated(db):
        return
    problems = backend.schema_problems(db)
    if problems:
        logger.warning("search schema repaired: %s", "; ".join(problems))
        with transaction.atomic(using=using):
            backend.install(db)
            backend.rebuild(db)
