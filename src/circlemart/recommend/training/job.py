"""The training job: read the shop's interactions, train the blend, save the model file and
record a ready version (optionally switching the serving slot to it).

One training at a time: the version row is created with status "training", and the database
refuses a second such row (a partial unique constraint). The job reports progress and a
heartbeat into its row. A run that was killed leaves its row "training" with a heartbeat that
stops moving (STALE_AFTER); the next run marks it failed (interrupted) and continues from its
work directory: the interactions it loaded (stage "data", as of the interrupted run's start),
the trained arrays (stage "arrays") and the held-out metrics (stage "validation"), whichever
were complete, are reused; the model file is written again. Ctrl-C is recorded at once and
resumable the same way. A run that fails with an error is marked failed with the error text
and leaves nothing to resume; the serving slot never moves unless the whole run succeeded.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from circlemart.core import clock
from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.recommend import errors
from circlemart.recommend.bundle import Bundle, bundle_load, bundle_save, model_path
from circlemart.recommend.models import ModelVersion
from circlemart.recommend.services import versions as version_services
from circlemart.recommend.training.sources import (
    DEFAULT_HISTORY_DAYS,
    TrainingData,
    training_data_load,
)
from circlemart.recommend.training.validation import VALIDATION_DAYS, validation_metrics
from circlemart.recommend.training.workdir import WorkDirectory, finite_numbers, work_root

if TYPE_CHECKING:
    from circlemart.recommend.algorithms.pipeline import TrainedArrays

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=15)  # no heartbeat for this long: the run was killed
RESUME_WITHIN = timedelta(hours=24)  # an interrupted run older than this is not continued
HEARTBEAT_SECONDS = 5.0
# Where each stage ends on the progress bar: loading, training, validating (then saving).
_LOAD, _TRAIN, _VALIDATE = 0.2, 0.65, 0.9


@dataclass(frozen=True)
class TrainingOptions:
    history_days: int = DEFAULT_HISTORY_DAYS
    candidates_per_user: int = 200
    neighbours: int = 50
    validate: bool = True  # train once more on a held-out split for the validation metric

    def as_json(self) -> dict[str, int | bool]:
        return {
            "history_days": self.history_days,
            "candidates_per_user": self.candidates_per_user,
            "neighbours": self.neighbours,
            "validate": self.validate,
        }


@dataclass(frozen=True)
class TrainingOutcome:
    version_id: int
    label: str
    metrics: dict[str, float]
    trained_on: dict[str, Any]
    resumed_stages: tuple[str, ...] = ()
    resumed_from: int | None = None
    seconds: float = 0.0
    activated: bool = False
    pruned: tuple[int, ...] = field(default_factory=tuple)


class _Progress:
    """Progress into the version row (at most every HEARTBEAT_SECONDS, and at each new stage)
    and onto the console's bar."""

    def __init__(self, version_id: int, console: TextIO | None) -> None:
        self.version_id = version_id
        self.bar = tqdm(
            total=100,
            file=console,
            disable=console is None,
            bar_format="{l_bar}{bar}| {elapsed}",
            mininterval=0.5,
        )
        self._note = ""
        self._written_at = 0.0

    def __call__(self, note: str, fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        self.bar.set_description_str(note[:40], refresh=False)
        self.bar.update(max(round(fraction * 100) - self.bar.n, 0))
        moment = time.monotonic()
        if note == self._note and moment - self._written_at < HEARTBEAT_SECONDS:
            return
        self._note, self._written_at = note, moment
        ModelVersion.objects.filter(pk=self.version_id, status=ModelVersion.Status.TRAINING).update(
            progress=fraction, progress_note=note[:200], heartbeat_at=clock.now()
        )

    def scaled(self, start: float, end: float) -> Callable[[str, float], None]:
        return lambda note, fraction: self(note, start + (end - start) * min(max(fraction, 0), 1))

    def close(self) -> None:
        self.bar.close()


def _new_label(now: datetime) -> str:
    return f"rec-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def _mark_interrupted(now: datetime, stale_after: timedelta) -> list[ModelVersion]:
    """Inside the caller's transaction: trainings whose heartbeat stopped are failed."""
    stale = list(
        ModelVersion.objects.select_for_update()
        .filter(status=ModelVersion.Status.TRAINING, heartbeat_at__lt=now - stale_after)
        .order_by("-id")
    )
    for version in stale:
        version.status = ModelVersion.Status.FAILED
        version.finished_at = now
        version.error = _("Interrupted: no progress since %(at)s.") % {
            "at": f"{version.heartbeat_at:%Y-%m-%d %H:%M:%S %Z}"
        }
        version.parameters = {**version.parameters, "resumable": True}
        version.save(update_fields=["status", "finished_at", "error", "parameters"])
        logger.warning("model %s was interrupted; marked failed", version.label)
    return stale


def _running_conflict() -> Conflict:
    running = ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).first()
    if running is None:
        message = _("A model is already training; try again when it has finished.")
    else:
        message = _(
            "Model %(label)s is already training (%(percent)d%% done); "
            "try again when it has finished."
        ) % {"label": running.label, "percent": round(running.progress * 100)}
    return Conflict(message, code=errors.TRAINING_RUNNING, field="version")


def _version_start(
    *, now: datetime, options: TrainingOptions, stale_after: timedelta
) -> ModelVersion:
    try:
        with transaction.atomic():
            _mark_interrupted(now, stale_after)
            return ModelVersion.objects.create(
                label=_new_label(now),
                status=ModelVersion.Status.TRAINING,
                started_at=now,
                heartbeat_at=now,
                progress_note=_("Starting"),
                parameters=options.as_json(),
            )
    except IntegrityError as error:
        raise _running_conflict() from error


def _resumable_run(now: datetime, options: TrainingOptions) -> ModelVersion | None:
    """The newest interrupted run of the last RESUME_WITHIN with the same options whose work
    directory is still there."""
    candidates = ModelVersion.objects.filter(
        status=ModelVersion.Status.FAILED,
        finished_at__gte=now - RESUME_WITHIN,
        parameters__resumable=True,
    ).order_by("-id")[:5]
    for version in candidates:
        same_options = all(version.parameters.get(k) == v for k, v in options.as_json().items())
        if same_options and WorkDirectory.of_version(version.pk).exists():
            return version
    return None


def _work_directory(
    version: ModelVersion, resume: ModelVersion | None
) -> tuple[WorkDirectory, int | None]:
    work = WorkDirectory.of_version(version.pk)
    resumed_from = None
    if resume is not None and work.adopt(WorkDirectory.of_version(resume.pk)):
        resumed_from = resume.pk
    work.create()
    return work, resumed_from


def _load_stage(
    work: WorkDirectory, *, now: datetime, options: TrainingOptions, progress: _Progress
) -> tuple[TrainingData, datetime, bool]:
    """(data, the time it is as of, whether it came from an interrupted run)."""
    if work.has("data"):
        progress(_("Reusing the interrupted run's interactions"), _LOAD)
        details = work.stage_details("data")
        return work.load_data(), datetime.fromtimestamp(details["as_of"], tz=UTC), True
    step = progress.scaled(0.0, _LOAD)
    sources = 5  # purchases, browsing, notes, shares, texts

    def report(source: str, number: int) -> None:
        step(_("Loading interactions: %(source)s") % {"source": source}, number / sources)

    data = training_data_load(now=now, history_days=options.history_days, progress=report)
    work.save_data(data, details={"as_of": now.timestamp()})
    return data, now, False


def _train_stage(
    work: WorkDirectory,
    data: TrainingData,
    *,
    as_of: datetime,
    options: TrainingOptions,
    progress: _Progress,
) -> tuple[TrainedArrays, bool]:
    if work.has("arrays"):
        progress(_("Reusing the interrupted run's trained model"), _TRAIN)
        return work.load_arrays(), True
    from circlemart.recommend.algorithms.pipeline import train_arrays

    if data.interactions.n_items == 0:
        raise ValidationFailed(
            _("The catalogue has no products on sale and no history: nothing to train on."),
            code=errors.NOTHING_TO_TRAIN,
        )
    trained = train_arrays(
        data.interactions,
        item_texts=data.item_texts,
        now=int(as_of.timestamp()),
        progress=progress.scaled(_LOAD, _TRAIN),
        candidates_per_user=options.candidates_per_user,
        neighbours=options.neighbours,
    )
    work.save_arrays(trained)
    return trained, False


def _validation_stage(
    work: WorkDirectory, data: TrainingData, *, options: TrainingOptions, progress: _Progress
) -> tuple[dict[str, float], bool]:
    if not options.validate:
        return {}, False
    if work.has("validation"):
        return work.load_validation(), True
    progress(_("Validating on the last %(days)d days") % {"days": VALIDATION_DAYS}, _TRAIN)
    metrics = validation_metrics(
        data.interactions,
        item_texts=data.item_texts,
        neighbours=options.neighbours,
        progress=progress.scaled(_TRAIN, _VALIDATE),
    )
    work.save_validation(metrics)
    return metrics, False


def _bundle_of(trained: TrainedArrays, version: ModelVersion, catalogue_id: str) -> Bundle:
    return Bundle(
        version_id=version.pk,
        label=version.label,
        catalogue_id=catalogue_id,
        item_ids=trained.item_ids,
        user_ids=trained.user_ids,
        user_candidates=trained.user_candidates,
        candidate_anchor=trained.candidate_anchor,
        similar=trained.similar,
        bought_together=trained.bought_together,
        popularity=trained.popularity,
        trending=trained.trending,
        repeat_days=trained.repeat_days,
        content=trained.content,
        encoder=dict(trained.encoder),
    )


def _trained_on(data: TrainingData, as_of: datetime) -> dict[str, Any]:
    interactions = data.interactions

    def moment(seconds: int | None) -> str | None:
        return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC).isoformat()

    return {
        "users": interactions.n_users,
        "items": interactions.n_items,
        "interactions": len(interactions),
        "purchases": int(interactions.is_purchase.sum()),
        "sources": data.counts,
        "first_at": moment(data.first_at),
        "last_at": moment(data.last_at),
        "as_of": as_of.isoformat(),
    }


def _version_finish(
    version: ModelVersion,
    *,
    artifact: str,
    sha256: str,
    catalogue_id: str,
    trained_on: dict[str, Any],
    metrics: dict[str, float],
    parameters: dict[str, Any],
) -> None:
    now = clock.now()
    finished = ModelVersion.objects.filter(
        pk=version.pk, status=ModelVersion.Status.TRAINING
    ).update(
        status=ModelVersion.Status.READY,
        progress=1.0,
        progress_note=_("Ready"),
        finished_at=now,
        heartbeat_at=now,
        artifact=artifact,
        sha256=sha256,
        catalogue_id=catalogue_id,
        trained_on=trained_on,
        metrics=metrics,
        parameters=parameters,
    )
    if not finished:
        # Another run declared this one interrupted (no heartbeat for STALE_AFTER) and took
        # over; its result wins, this one is discarded.
        model_path(artifact).unlink(missing_ok=True)
        raise Conflict(
            _("This training was taken over by another run; its result was discarded."),
            code=errors.TRAINING_RUNNING,
            field="version",
        )


def _version_fail(version: ModelVersion, error: BaseException, *, resumable: bool) -> None:
    text = f"{type(error).__name__}: {error}".strip()
    try:
        current = ModelVersion.objects.filter(pk=version.pk).values_list("parameters", flat=True)
        parameters = {**(current.first() or {}), "resumable": resumable}
        ModelVersion.objects.filter(pk=version.pk, status=ModelVersion.Status.TRAINING).update(
            status=ModelVersion.Status.FAILED,
            finished_at=clock.now(),
            error=text[:4000],
            parameters=parameters,
        )
    except Exception:
        logger.exception("could not record the failure of model %s", version.label)


def training_run(
    *,
    activate: bool = False,
    actor_id: int | None = None,
    reason: str = "",
    options: TrainingOptions | None = None,
    console: TextIO | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> TrainingOutcome:
    """Train a new model version from the shop's interactions; with `activate`, make it serve.
    Raises Conflict when another training runs, and re-raises whatever made the run fail after
    marking its version failed."""
    options = options or TrainingOptions()
    started = time.monotonic()
    now = clock.now()
    version = _version_start(now=now, options=options, stale_after=stale_after)
    progress = _Progress(version.pk, console)
    work: WorkDirectory | None = None
    try:
        work, resumed_from = _work_directory(version, _resumable_run(now, options))
        data, as_of, data_reused = _load_stage(work, now=now, options=options, progress=progress)
        trained, arrays_reused = _train_stage(
            work, data, as_of=as_of, options=options, progress=progress
        )
        validation, validation_reused = _validation_stage(
            work, data, options=options, progress=progress
        )
        progress(_("Saving the model file"), _VALIDATE)
        catalogue_id = version_services.catalogue_identity()
        artifact, sha256 = bundle_save(
            _bundle_of(trained, version, catalogue_id), Path(settings.RECOMMEND_MODEL_DIR)
        )
        progress(_("Checking the model file"), 0.95)
        bundle_load(model_path(artifact), expected_sha256=sha256, catalogue_id=catalogue_id)
        resumed = tuple(
            stage
            for stage, reused in (
                ("data", data_reused),
                ("arrays", arrays_reused),
                ("validation", validation_reused),
            )
            if reused
        )
        seconds = round(time.monotonic() - started, 2)
        trained_on = {**_trained_on(data, as_of), "seconds": seconds, "resumed": list(resumed)}
        metrics = finite_numbers({**trained.metrics, **validation})
        parameters = {**options.as_json(), "resumed_from": resumed_from}
        _version_finish(
            version,
            artifact=artifact,
            sha256=sha256,
            catalogue_id=catalogue_id,
            trained_on=trained_on,
            metrics=metrics,
            parameters=parameters,
        )
        progress(_("Ready"), 1.0)
    except Exception as error:
        _version_fail(version, error, resumable=False)
        if work is not None:
            work.remove()
        raise
    except BaseException as error:  # Ctrl-C, SystemExit: the work directory stays, resumable
        _version_fail(version, error, resumable=True)
        raise
    finally:
        progress.close()
    work.remove()
    logger.info("model %s trained in %.1f s: %s", version.label, seconds, metrics)
    activated = False
    if activate:
        version_services.version_activate(
            version_id=version.pk, actor_id=actor_id, reason=reason or _("trained")
        )
        activated = True
    pruned = version_services.versions_prune()
    abandoned_work_directories_remove()
    return TrainingOutcome(
        version_id=version.pk,
        label=version.label,
        metrics=metrics,
        trained_on=trained_on,
        resumed_stages=resumed,
        resumed_from=resumed_from,
        seconds=seconds,
        activated=activated,
        pruned=tuple(pruned),
    )


def abandoned_work_directories_remove() -> int:
    """Work directories no run can continue any more (their version finished, failed without
    being resumable or is too old): removed. Returns how many."""
    root = work_root()
    if not root.is_dir():
        return 0
    live = set(
        ModelVersion.objects.filter(
            status__in=[ModelVersion.Status.TRAINING, ModelVersion.Status.FAILED],
            created_at__gte=clock.now() - RESUME_WITHIN,
        ).values_list("pk", flat=True)
    )
    removed = 0
    for path in root.iterdir():
        number = path.name.removeprefix("version-")
        if path.is_dir() and (not number.isdigit() or int(number) not in live):
            WorkDirectory(path).remove()
            removed += 1
    return removed
