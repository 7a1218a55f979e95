"""Demo data for recommendations: a model trained on the demo shop's orders, events and notes,
serving at once, so the demo's surfaces show real recommendations. Each seed run trains a new
version and switches to it (old versions are pruned)."""

from __future__ import annotations

import logging
import sys

from circlemart.core.errors import Conflict
from circlemart.recommend.training.job import TrainingOptions, training_run

logger = logging.getLogger(__name__)

# Shorter lists, and no second training on a held-out split (it would double the time; the
# version then has no validation metric, so the first scheduled retraining replaces it).
DEMO_OPTIONS = TrainingOptions(
    history_days=400, candidates_per_user=100, neighbours=30, validate=False
)


def seed_recommend(progress: bool = True) -> str:
    """Train and activate a model on the demo shop; says what it made ("" when another
    training was running)."""
    if progress:
        print("recommendations: training a model on the demo shop")
    try:
        outcome = training_run(
            activate=True,
            reason="seed-demo",
            options=DEMO_OPTIONS,
            console=sys.stdout if progress else None,
        )
    except Conflict as refused:
        logger.warning("demo model not trained: %s", refused.message)
        return ""
    trained_on = outcome.trained_on
    return (
        f"recommendation model {outcome.label}: {trained_on['users']} users, "
        f"{trained_on['items']} products, {outcome.seconds:.1f} s"
    )
