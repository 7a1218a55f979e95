"""Reads of model versions: the list with offline metrics, the serving one, the training one,
the activation history (for the back office, the API and `circlemart recommend versions`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from circlemart.core.errors import ValidationFailed
from circlemart.recommend import errors
from circlemart.recommend.models import ActivationLog, ModelVersion, ServingSlot

MAX_LIMIT = 500


@dataclass(frozen=True)
class VersionView:
    id: int
    label: str
    kind: str
    status: str
    status_label: str
    is_active: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: float
    progress_note: str
    error: str
    parameters: dict[str, Any]
    trained_on: dict[str, Any]
    metrics: dict[str, float]
    artifact: str

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class ActivationView:
    id: int
    at: datetime
    version_id: int
    version_label: str
    previous_version_id: int | None
    previous_label: str
    actor_id: int | None
    reason: str


def _active_id() -> int | None:
    return ServingSlot.objects.filter(name="default").values_list("version_id", flat=True).first()


def _view(version: ModelVersion, active_id: int | None) -> VersionView:
    return VersionView(
        id=version.pk,
        label=version.label,
        kind=version.kind,
        status=version.status,
        status_label=str(version.get_status_display()),
        is_active=version.pk == active_id,
        created_at=version.created_at,
        started_at=version.started_at,
        finished_at=version.finished_at,
        progress=version.progress,
        progress_note=version.progress_note,
        error=version.error,
        parameters=dict(version.parameters or {}),
        trained_on=dict(version.trained_on or {}),
        metrics=dict(version.metrics or {}),
        artifact=version.artifact,
    )


def _checked_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            _("limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT},
            code=errors.INVALID_LIMIT,
            field="limit",
        )
    return limit


def versions_list(*, limit: int = 50, status: str | None = None) -> list[VersionView]:
    """Newest first, two queries."""
    query = ModelVersion.objects.order_by("-id")
    if status:
        query = query.filter(status=status)
    active_id = _active_id()
    return [_view(version, active_id) for version in query[: _checked_limit(limit)]]


def version_detail(version_id: int) -> VersionView | None:
    version = ModelVersion.objects.filter(pk=version_id).first()
    return None if version is None else _view(version, _active_id())


def active_version() -> VersionView | None:
    slot = ServingSlot.objects.filter(name="default").select_related("version").first()
    if slot is None or slot.version is None:
        return None
    return _view(slot.version, slot.version_id)


def training_version() -> VersionView | None:
    """The version training now (at most one), with its progress."""
    version = ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).first()
    return None if version is None else _view(version, _active_id())


def activation_history(*, limit: int = 50) -> list[ActivationView]:
    """Newest first, one query."""
    rows = ActivationLog.objects.select_related("version", "previous_version").order_by(
        "-at", "-id"
    )[: _checked_limit(limit)]
    return [
        ActivationView(
            id=row.pk,
            at=row.at,
            version_id=row.version_id,
            version_label=row.version.label,
            previous_version_id=row.previous_version_id,
            previous_label=row.previous_version.label if row.previous_version else "",
            actor_id=row.actor_id,
            reason=row.reason,
        )
        for row in rows
    ]
