"""Model versions: switch the serving slot to a version, roll back, retire, prune old files.

Lock order: the serving slot row, then the version row. A switch is one UPDATE of the slot in
the transaction that writes its activation log, so every process moves from one complete model
to the next; a version serves only after its file was read back and verified (SHA-256 and this
shop's catalogue).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.recommend import errors
from circlemart.recommend.bundle import (
    BundleCorrupt,
    BundleMismatch,
    bundle_load,
    forget_active_bundle,
    model_path,
)
from circlemart.recommend.models import (
    ActivationLog,
    CatalogueIdentity,
    ModelVersion,
    ServingSlot,
)

logger = logging.getLogger(__name__)

KEEP_READY = 5  # newest ready versions kept by pruning (besides the active and the previous)
STRAY_FILE_AGE_SECONDS = 3600
SLOT = "default"


def catalogue_identity() -> str:
    """This shop's catalogue id (created on first use); a model carries it in its file."""
    identity = CatalogueIdentity.objects.filter(pk=1).first()
    if identity is None:
        try:
            with transaction.atomic():
                identity = CatalogueIdentity.objects.create(pk=1)
        except IntegrityError:
            identity = CatalogueIdentity.objects.get(pk=1)
    return str(identity.catalogue_id)


def _locked_slot() -> ServingSlot:
    slot = ServingSlot.objects.select_for_update().filter(name=SLOT).first()
    if slot is not None:
        return slot
    try:
        with transaction.atomic():
            ServingSlot.objects.create(name=SLOT)
    except IntegrityError:
        pass  # another transaction created it first
    return ServingSlot.objects.select_for_update().get(name=SLOT)


def _version(version_id: int) -> ModelVersion:
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise NotFound(
            _("There is no model version %(id)s.") % {"id": version_id},
            code="not_found",
            field="version",
        )
    return version


def _refuse_unless_ready(version: ModelVersion) -> None:
    if version.status != ModelVersion.Status.READY:
        raise ValidationFailed(
            _("Model %(label)s is %(status)s; only a ready model can serve.")
            % {"label": version.label, "status": version.get_status_display()},
            code=errors.MODEL_NOT_READY,
            field="version",
        )


def version_verify(version: ModelVersion) -> None:
    """Read the version's file back: refused unless its hash and catalogue are right."""
    try:
        bundle_load(
            model_path(version.artifact),
            expected_sha256=version.sha256,
            catalogue_id=catalogue_identity(),
            version_id=version.pk,
        )
    except BundleMismatch as error:
        raise ValidationFailed(
            _("Model %(label)s was trained on another shop's catalogue and cannot serve here.")
            % {"label": version.label},
            code=errors.MODEL_MISMATCH,
            field="version",
        ) from error
    except BundleCorrupt as error:
        raise ValidationFailed(
            _("The file of model %(label)s is damaged or missing (%(problem)s).")
            % {"label": version.label, "problem": error},
            code=errors.MODEL_CORRUPT,
            field="version",
        ) from error


def version_activate(*, version_id: int, actor_id: int | None, reason: str = "") -> int:
    """Make a ready, verified version serve. Activating the version that already serves
    changes nothing (safe to retry). Returns the version id."""
    version = _version(version_id)
    _refuse_unless_ready(version)
    version_verify(version)  # outside the lock: reading a large file must not hold the slot
    with transaction.atomic():
        slot = _locked_slot()
        version = ModelVersion.objects.select_for_update().get(pk=version_id)
        _refuse_unless_ready(version)  # it may have been retired while the file was read
        if slot.version_id == version.pk:
            return version.pk
        previous_id = slot.version_id
        slot.version = version
        slot.changed_by_id = actor_id
        slot.save(update_fields=["version", "changed_by", "changed_at"])
        ActivationLog.objects.create(
            version=version, previous_version_id=previous_id, actor_id=actor_id, reason=reason[:200]
        )
        transaction.on_commit(forget_active_bundle)
    logger.info("model %s serves now (was %s): %s", version.label, previous_id, reason)
    return version.pk


def rollback_target_id() -> int | None:
    """The version that served before the current one, per the activation log."""
    current = ServingSlot.objects.filter(name=SLOT).values_list("version_id", flat=True).first()
    if current is None:
        return None
    return (
        ActivationLog.objects.filter(version_id=current)
        .order_by("-at", "-id")
        .values_list("previous_version_id", flat=True)
        .first()
    )


def version_rollback(*, actor_id: int | None, reason: str = "") -> int:
    """Serve the version that served before the current one again. Rolling back twice returns
    to where it started (the log records each switch as an activation)."""
    target = rollback_target_id()
    if target is None:
        raise ValidationFailed(
            _("There is no earlier model to go back to."),
            code=errors.NO_PREVIOUS_MODEL,
            field="version",
        )
    return version_activate(version_id=target, actor_id=actor_id, reason=reason or _("rolled back"))


def version_retire(*, version_id: int) -> None:
    """Take a version out of use for good (its file is deleted). The serving version and a
    training one cannot be retired."""
    with transaction.atomic():
        slot = _locked_slot()
        version = ModelVersion.objects.select_for_update().filter(pk=version_id).first()
        if version is None:
            raise NotFound(
                _("There is no model version %(id)s.") % {"id": version_id},
                code="not_found",
                field="version",
            )
        if slot.version_id == version.pk:
            raise ValidationFailed(
                _("Model %(label)s is serving; activate another one before retiring it.")
                % {"label": version.label},
                code=errors.MODEL_SERVING,
                field="version",
            )
        if version.status == ModelVersion.Status.TRAINING:
            raise ValidationFailed(
                _("Model %(label)s is still training.") % {"label": version.label},
                code=errors.MODEL_TRAINING,
                field="version",
            )
        if version.status == ModelVersion.Status.RETIRED:
            return
        version.status = ModelVersion.Status.RETIRED
        version.save(update_fields=["status"])
        artifact = version.artifact
        transaction.on_commit(lambda: _delete_file(artifact))


def _delete_file(artifact: str) -> None:
    if artifact:
        model_path(artifact).unlink(missing_ok=True)


def _delete_files(artifacts: list[str]) -> None:
    for artifact in artifacts:
        _delete_file(artifact)


def versions_prune(*, keep: int = KEEP_READY) -> list[int]:
    """Retire ready versions beyond the newest `keep` (never the serving one or the one before
    it), delete their files, and remove stray files (left by a killed save) older than an
    hour. Returns the ids retired."""
    with transaction.atomic():
        slot = _locked_slot()
        kept = {slot.version_id, rollback_target_id()}
        ready = list(
            ModelVersion.objects.select_for_update()
            .filter(status=ModelVersion.Status.READY)
            .order_by("-finished_at", "-id")
        )
        kept.update(version.pk for version in ready[:keep])
        retired = [version for version in ready if version.pk not in kept]
        ModelVersion.objects.filter(pk__in=[version.pk for version in retired]).update(
            status=ModelVersion.Status.RETIRED
        )
        artifacts = [version.artifact for version in retired]
        transaction.on_commit(lambda: _delete_files(artifacts))
    _delete_stray_files()
    return [version.pk for version in retired]


def _delete_stray_files() -> None:
    directory = Path(settings.RECOMMEND_MODEL_DIR)
    if not directory.is_dir():
        return
    referenced = set(
        ModelVersion.objects.exclude(status=ModelVersion.Status.RETIRED).values_list(
            "artifact", flat=True
        )
    )
    training = {
        f"{label}.npz"
        for label in ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).values_list(
            "label", flat=True
        )
    }
    cutoff = time.time() - STRAY_FILE_AGE_SECONDS
    for path in directory.iterdir():
        if not path.is_file() or path.suffix not in {".npz", ".part"}:
            continue
        if path.name in referenced or path.name in training:
            continue
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue  # gone already, or not ours to remove
