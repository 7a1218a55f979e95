"""The scheduled retraining: train a new version, then let it serve only when its validation
metric is not worse than the serving version's by more than SWITCH_TOLERANCE.

Idempotent and safe to retry: while a training runs, or when a version finished training
within MIN_INTERVAL, it does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict
from circlemart.recommend.models import ModelVersion
from circlemart.recommend.selectors import versions as version_selectors
from circlemart.recommend.services import versions as version_services
from circlemart.recommend.training.job import TrainingOptions, training_run

logger = logging.getLogger(__name__)

# The offline metric the training records on its validation period (first one present wins).
VALIDATION_METRICS = ("validation_ndcg_at_10", "ndcg_at_10", "ndcg@10")
SWITCH_TOLERANCE = 0.10
MIN_INTERVAL = timedelta(hours=20)


@dataclass(frozen=True)
class RetrainResult:
    version_id: int | None  # the version trained, None when nothing was trained
    activated: bool
    reason: str


def validation_metric(metrics: dict[str, float]) -> float | None:
    for name in VALIDATION_METRICS:
        value = metrics.get(name)
        if isinstance(value, int | float):
            return float(value)
    return None


def should_switch(
    new_metrics: dict[str, float], active_metrics: dict[str, float] | None
) -> tuple[bool, str]:
    """Switch unless the new model is worse than the serving one by more than the tolerance
    (or its quality cannot be compared while the serving one's can)."""
    if active_metrics is None:
        return True, _("no model was serving")
    active = validation_metric(active_metrics)
    if active is None:
        return True, _("the serving model has no validation metric")
    new = validation_metric(new_metrics)
    if new is None:
        return False, _("the new model has no validation metric to compare")
    if new >= active * (1 - SWITCH_TOLERANCE) - 1e-12:  # exactly 10 % worse still switches
        return True, _("validation NDCG@10 %(new).4f against %(active).4f") % {
            "new": new,
            "active": active,
        }
    return False, _(
        "validation NDCG@10 %(new).4f is more than %(tolerance)d%% below the serving "
        "model's %(active).4f"
    ) % {"new": new, "active": active, "tolerance": round(SWITCH_TOLERANCE * 100)}


def _recently_trained() -> ModelVersion | None:
    return (
        ModelVersion.objects.filter(
            status=ModelVersion.Status.READY, finished_at__gte=clock.now() - MIN_INTERVAL
        )
        .order_by("-finished_at")
        .first()
    )


def retrain_scheduled(
    *, options: TrainingOptions | None = None, force: bool = False
) -> RetrainResult:
    """`force` (a person asked, "Train now") trains even if a model finished recently."""
    recent = None if force else _recently_trained()
    if recent is not None:
        return RetrainResult(
            None, False, _("model %(label)s was trained recently") % {"label": recent.label}
        )
    try:
        outcome = training_run(options=options, reason=_("scheduled retraining"))
    except Conflict as refused:
        logger.info("scheduled retraining skipped: %s", refused.message)
        return RetrainResult(None, False, str(refused.message))
    active = version_selectors.active_version()
    switch, why = should_switch(outcome.metrics, active.metrics if active else None)
    if not switch:
        logger.warning("model %s stays ready, not serving: %s", outcome.label, why)
        return RetrainResult(outcome.version_id, False, why)
    version_services.version_activate(
        version_id=outcome.version_id,
        actor_id=None,
        reason=(_("scheduled retraining: %(why)s") % {"why": why})[:200],
    )
    return RetrainResult(outcome.version_id, True, why)
