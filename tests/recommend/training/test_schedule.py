from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from circlemart.core import clock
from circlemart.recommend import tasks
from circlemart.recommend.models import ModelVersion, ServingSlot
from circlemart.recommend.services.versions import version_activate
from circlemart.recommend.training import job
from circlemart.recommend.training.schedule import retrain_scheduled, should_switch
from tests.recommend.training.builders import ready_version
from tests.recommend.training.conftest import Shop

pytestmark = pytest.mark.django_db


def _validation_gives(monkeypatch: pytest.MonkeyPatch, ndcg: float | None) -> None:
    """The held-out measurement of the next training (what the rule compares)."""
    metrics = {} if ndcg is None else {"validation_ndcg_at_10": ndcg}

    def measured(*args: Any, **kwargs: Any) -> dict[str, float]:
        return metrics

    monkeypatch.setattr(job, "validation_metrics", measured)


def _serving(ndcg: float) -> ModelVersion:
    version = ready_version("serving", metrics={"validation_ndcg_at_10": ndcg}, age_days=2)
    version_activate(version_id=version.pk, actor_id=None)
    return version


@pytest.mark.parametrize(
    ("new", "active", "switch"),
    [
        ({"validation_ndcg_at_10": 0.20}, None, True),  # nothing serves
        ({"validation_ndcg_at_10": 0.20}, {}, True),  # the serving one cannot be compared
        ({}, {"validation_ndcg_at_10": 0.20}, False),  # the new one cannot be compared
        ({"validation_ndcg_at_10": 0.18}, {"validation_ndcg_at_10": 0.20}, True),  # -10 %
        ({"validation_ndcg_at_10": 0.179}, {"validation_ndcg_at_10": 0.20}, False),  # -10.5 %
        ({"validation_ndcg_at_10": 0.30}, {"validation_ndcg_at_10": 0.20}, True),
    ],
)
def test_the_keep_or_switch_rule(
    new: dict[str, float], active: dict[str, float] | None, switch: bool
) -> None:
    assert should_switch(new, active)[0] is switch


def test_a_new_model_not_much_worse_serves(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    _serving(0.20)
    _validation_gives(monkeypatch, 0.19)

    result = retrain_scheduled()

    assert result.activated
    assert ServingSlot.objects.get().version_id == result.version_id
    assert result.reason == "validation NDCG@10 0.1900 against 0.2000"


def test_a_much_worse_model_stays_ready_but_does_not_serve(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = _serving(0.20)
    _validation_gives(monkeypatch, 0.10)

    result = retrain_scheduled()

    assert not result.activated
    assert ModelVersion.objects.get(pk=result.version_id).status == "ready"
    assert ServingSlot.objects.get().version_id == serving.pk
    assert result.reason == (
        "validation NDCG@10 0.1000 is more than 10% below the serving model's 0.2000"
    )


def test_the_first_model_serves(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    _validation_gives(monkeypatch, None)

    assert tasks.retrain() == "no model was serving"

    assert ServingSlot.objects.get().version_id == ModelVersion.objects.get().pk


def test_a_retry_after_a_recent_training_does_nothing(shop: Shop) -> None:
    ready_version("today", age_days=0.1)

    result = retrain_scheduled()

    assert (result.version_id, result.activated) == (None, False)
    assert result.reason == "model today was trained recently"
    assert ModelVersion.objects.count() == 1


def test_a_forced_run_trains_even_after_a_recent_training(shop: Shop) -> None:
    ready_version("today", age_days=0.1)

    result = retrain_scheduled(force=True)

    assert result.version_id is not None
    assert ModelVersion.objects.count() == 2
    assert ModelVersion.objects.get(pk=result.version_id).status == ModelVersion.Status.READY


def test_a_run_while_another_trains_does_nothing(shop: Shop) -> None:
    ModelVersion.objects.create(label="running", heartbeat_at=clock.now() - timedelta(minutes=1))

    result = retrain_scheduled()

    assert (result.version_id, result.activated) == (None, False)
    assert result.reason.startswith("Model running is already training")
    assert ModelVersion.objects.count() == 1
