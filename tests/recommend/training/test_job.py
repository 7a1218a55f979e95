from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from circlemart.core import clock
from circlemart.core.errors import Conflict
from circlemart.recommend.bundle import active_bundle, bundle_load
from circlemart.recommend.models import ActivationLog, ModelVersion, ServingSlot
from circlemart.recommend.services.versions import catalogue_identity
from circlemart.recommend.training import job
from circlemart.recommend.training.workdir import WorkDirectory, work_root
from tests.recommend.training.conftest import Shop

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """Stands for the process dying: nothing after it runs, not even the failure record."""


def _killed_during(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    def die(*args: Any, **kwargs: Any) -> Any:
        raise Killed

    monkeypatch.setattr(job, target, die)
    monkeypatch.setattr(job, "_version_fail", lambda *args, **kwargs: None)


def _never(name: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{name} ran again instead of being reused")

    return refuse


def test_a_training_makes_a_ready_version_whose_file_loads(shop: Shop, model_dir: Path) -> None:
    outcome = job.training_run()

    version = ModelVersion.objects.get()
    assert (version.pk, version.label) == (outcome.version_id, outcome.label)
    assert version.status == ModelVersion.Status.READY
    assert (version.progress, version.error) == (1.0, "")
    assert version.artifact == f"{version.label}.npz"
    assert str(version.catalogue_id) == catalogue_identity()
    bundle = bundle_load(
        model_dir / version.artifact,
        expected_sha256=version.sha256,
        catalogue_id=catalogue_identity(),
    )
    assert sorted(bundle.item_ids.tolist()) == sorted(p.pk for p in shop.products)
    assert sorted(bundle.user_ids.tolist()) == sorted(b.pk for b in shop.buyers)
    assert version.trained_on["users"] == 3
    assert version.trained_on["items"] == 6
    assert version.trained_on["interactions"] == 11
    assert version.trained_on["purchases"] == 3
    assert version.trained_on["resumed"] == []
    assert version.metrics["interactions"] == 11.0
    assert version.parameters["resumed_from"] is None
    assert not outcome.activated
    assert ServingSlot.objects.filter(version__isnull=False).count() == 0
    assert not work_root().exists() or list(work_root().iterdir()) == []


def test_a_training_with_activate_serves_at_once(shop: Shop) -> None:
    outcome = job.training_run(activate=True, reason="test")

    assert outcome.activated
    assert ServingSlot.objects.get().version_id == outcome.version_id
    log = ActivationLog.objects.get()
    assert (log.version_id, log.previous_version_id, log.reason) == (
        outcome.version_id,
        None,
        "test",
    )
    bundle = active_bundle()
    assert bundle is not None
    assert bundle.version_id == outcome.version_id


def test_a_second_training_while_one_runs_is_refused(shop: Shop) -> None:
    running = ModelVersion.objects.create(
        label="running", heartbeat_at=clock.now(), progress=0.4, progress_note="models"
    )

    with pytest.raises(Conflict) as refused:
        job.training_run()

    assert refused.value.code == "training_running"
    assert str(refused.value.message) == (
        "Model running is already training (40% done); try again when it has finished."
    )
    assert list(ModelVersion.objects.values_list("pk", "status")) == [(running.pk, "training")]


def test_a_failed_training_is_recorded_and_nothing_switches(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = job.training_run(activate=True)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("out of memory in EASE")

    monkeypatch.setattr("circlemart.recommend.algorithms.pipeline.train_arrays", broken)
    with pytest.raises(RuntimeError):
        job.training_run(activate=True)

    failed = ModelVersion.objects.exclude(pk=serving.version_id).get()
    assert failed.status == ModelVersion.Status.FAILED
    assert failed.error == "RuntimeError: out of memory in EASE"
    assert failed.artifact == ""
    assert failed.parameters["resumable"] is False
    assert ServingSlot.objects.get().version_id == serving.version_id
    assert ActivationLog.objects.count() == 1
    assert not WorkDirectory.of_version(failed.pk).path.exists()


def test_a_killed_training_is_marked_failed_and_its_loaded_data_reused(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        _killed_during(patch, "_train_stage")
        with pytest.raises(Killed):
            job.training_run()
    killed = ModelVersion.objects.get()
    assert killed.status == ModelVersion.Status.TRAINING  # nobody recorded the death
    assert WorkDirectory.of_version(killed.pk).has("data")
    # Not yet stale: a second run is refused rather than declaring it dead.
    with pytest.raises(Conflict):
        job.training_run()
    ModelVersion.objects.filter(pk=killed.pk).update(heartbeat_at=clock.now() - timedelta(hours=1))
    monkeypatch.setattr(job, "training_data_load", _never("loading"))

    outcome = job.training_run()

    killed.refresh_from_db()
    assert killed.status == ModelVersion.Status.FAILED
    assert killed.error.startswith("Interrupted: no progress since ")
    assert killed.parameters["resumable"] is True
    version = ModelVersion.objects.get(pk=outcome.version_id)
    assert version.status == ModelVersion.Status.READY
    assert outcome.resumed_stages == ("data",)
    assert outcome.resumed_from == killed.pk
    assert version.parameters["resumed_from"] == killed.pk
    assert version.trained_on["interactions"] == 11
    assert version.trained_on["resumed"] == ["data"]
    assert not WorkDirectory.of_version(killed.pk).path.exists()
    assert not WorkDirectory.of_version(version.pk).path.exists()


def test_a_training_killed_after_training_reuses_the_trained_arrays(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        _killed_during(patch, "_validation_stage")
        with pytest.raises(Killed):
            job.training_run()
    killed = ModelVersion.objects.get()
    ModelVersion.objects.filter(pk=killed.pk).update(heartbeat_at=clock.now() - timedelta(hours=1))
    monkeypatch.setattr(job, "training_data_load", _never("loading"))
    monkeypatch.setattr("circlemart.recommend.algorithms.pipeline.train_arrays", _never("training"))

    outcome = job.training_run(activate=True)

    assert outcome.resumed_stages == ("data", "arrays")
    bundle = active_bundle()
    assert bundle is not None
    assert bundle.version_id == outcome.version_id
    assert sorted(bundle.user_ids.tolist()) == sorted(b.pk for b in shop.buyers)


def test_ctrl_c_leaves_a_failed_version_the_next_run_continues(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(job, "_train_stage", interrupt)
        with pytest.raises(KeyboardInterrupt):
            job.training_run()
    stopped = ModelVersion.objects.get()
    assert stopped.status == ModelVersion.Status.FAILED
    assert stopped.error == "KeyboardInterrupt:"
    monkeypatch.setattr(job, "training_data_load", _never("loading"))

    outcome = job.training_run()

    assert outcome.resumed_from == stopped.pk
    assert outcome.resumed_stages == ("data",)


def test_a_shop_without_products_trains_nothing(db: None) -> None:
    with pytest.raises(Exception) as refused:
        job.training_run()

    assert getattr(refused.value, "code", "") == "nothing_to_train"
    version = ModelVersion.objects.get()
    assert version.status == ModelVersion.Status.FAILED
    assert "nothing to train on" in version.error


def test_progress_and_heartbeat_reach_the_version_row(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from circlemart.recommend.algorithms import pipeline

    real = pipeline.train_arrays
    seen: list[tuple[str, float]] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        row = ModelVersion.objects.get()
        seen.append((row.progress_note, round(row.progress, 6)))
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "train_arrays", watched)

    job.training_run(options=job.TrainingOptions(validate=False))

    assert seen == [("Loading interactions: texts", 0.16)]  # the last loading step, 4/5 of 0.2
    version = ModelVersion.objects.get()
    assert (version.progress, version.progress_note) == (1.0, "Ready")


def test_work_directories_no_run_can_continue_are_removed(db: None) -> None:
    finished = ModelVersion.objects.create(label="done", status="ready")
    interrupted = ModelVersion.objects.create(label="cut", status="failed")
    for version in (finished, interrupted):
        WorkDirectory.of_version(version.pk).create()
    (work_root() / "stray").mkdir()

    assert job.abandoned_work_directories_remove() == 2

    assert [path.name for path in work_root().iterdir()] == [f"version-{interrupted.pk}"]
