from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.recommend.bundle import active_bundle
from circlemart.recommend.models import ActivationLog, CatalogueIdentity, ModelVersion, ServingSlot
from circlemart.recommend.selectors import versions as selectors
from circlemart.recommend.services import versions as services
from tests.accounts.factories import UserFactory
from tests.recommend.training.builders import ready_version

pytestmark = pytest.mark.django_db


def _serving() -> int | None:
    slot = ServingSlot.objects.filter(name="default").first()
    return slot.version_id if slot else None


def _refused(code: str, call: Callable[[], Any]) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        call()
    assert refused.value.code == code
    assert refused.value.field == "version"
    return refused.value


def test_activation_switches_the_slot_and_logs_who_and_why() -> None:
    staff = UserFactory()
    version = ready_version("v1")

    assert (
        services.version_activate(version_id=version.pk, actor_id=staff.pk, reason="go")
        == version.pk
    )

    slot = ServingSlot.objects.get()
    assert (slot.version_id, slot.changed_by_id) == (version.pk, staff.pk)
    log = ActivationLog.objects.get()
    assert (log.version_id, log.previous_version_id, log.actor_id, log.reason) == (
        version.pk,
        None,
        staff.pk,
        "go",
    )
    bundle = active_bundle()
    assert bundle is not None
    assert (bundle.version_id, bundle.label) == (version.pk, "v1")


def test_activating_the_serving_version_again_changes_nothing() -> None:
    version = ready_version("v1")
    services.version_activate(version_id=version.pk, actor_id=None)

    services.version_activate(version_id=version.pk, actor_id=None)

    assert ActivationLog.objects.count() == 1


@pytest.mark.parametrize("status", ["training", "failed", "retired"])
def test_only_a_ready_version_can_serve(status: str) -> None:
    serving = ready_version("v1")
    services.version_activate(version_id=serving.pk, actor_id=None)
    other = ready_version("v2")
    ModelVersion.objects.filter(pk=other.pk).update(status=status)

    refused = _refused(
        "model_not_ready", lambda: services.version_activate(version_id=other.pk, actor_id=None)
    )

    assert str(refused.message) == f"Model v2 is {status}; only a ready model can serve."
    assert _serving() == serving.pk
    assert ActivationLog.objects.count() == 1


def test_an_unknown_version_is_not_found() -> None:
    with pytest.raises(NotFound) as missing:
        services.version_activate(version_id=424242, actor_id=None)

    assert (missing.value.code, missing.value.field) == ("not_found", "version")
    assert str(missing.value.message) == "There is no model version 424242."


def test_a_file_with_a_flipped_byte_is_refused_and_the_slot_stays(model_dir: Path) -> None:
    serving = ready_version("v1")
    services.version_activate(version_id=serving.pk, actor_id=None)
    damaged = ready_version("v2")
    path = model_dir / damaged.artifact
    payload = bytearray(path.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    path.write_bytes(bytes(payload))

    refused = _refused(
        "model_corrupt", lambda: services.version_activate(version_id=damaged.pk, actor_id=None)
    )

    assert str(refused.message) == (
        "The file of model v2 is damaged or missing (v2.npz does not match its recorded SHA-256)."
    )
    assert _serving() == serving.pk
    assert ActivationLog.objects.count() == 1


def test_a_missing_file_is_refused(model_dir: Path) -> None:
    version = ready_version("v1")
    (model_dir / version.artifact).unlink()

    _refused(
        "model_corrupt", lambda: services.version_activate(version_id=version.pk, actor_id=None)
    )

    assert _serving() is None


def test_a_model_of_another_catalogue_is_refused_and_the_slot_stays() -> None:
    serving = ready_version("v1")
    services.version_activate(version_id=serving.pk, actor_id=None)
    foreign = ready_version("v2")
    # This database now names another shop's catalogue (restored elsewhere, say): the files
    # trained on the old one must not serve.
    CatalogueIdentity.objects.filter(pk=1).update(catalogue_id=uuid.uuid4())

    refused = _refused(
        "model_mismatch", lambda: services.version_activate(version_id=foreign.pk, actor_id=None)
    )

    assert str(refused.message) == (
        "Model v2 was trained on another shop's catalogue and cannot serve here."
    )
    assert _serving() == serving.pk
    assert ActivationLog.objects.count() == 1


def test_rollback_serves_the_previous_version_and_twice_comes_back() -> None:
    first, second = ready_version("v1"), ready_version("v2")
    services.version_activate(version_id=first.pk, actor_id=None)
    services.version_activate(version_id=second.pk, actor_id=None)

    assert services.version_rollback(actor_id=None) == first.pk
    assert _serving() == first.pk
    assert services.version_rollback(actor_id=None, reason="undo") == second.pk

    assert list(
        ActivationLog.objects.order_by("id").values_list(
            "version_id", "previous_version_id", "reason"
        )
    ) == [
        (first.pk, None, ""),
        (second.pk, first.pk, ""),
        (first.pk, second.pk, "rolled back"),
        (second.pk, first.pk, "undo"),
    ]


def test_rollback_without_an_earlier_version_is_refused() -> None:
    _refused("no_previous_model", lambda: services.version_rollback(actor_id=None))
    only = ready_version("v1")
    services.version_activate(version_id=only.pk, actor_id=None)

    refused = _refused("no_previous_model", lambda: services.version_rollback(actor_id=None))

    assert str(refused.message) == "There is no earlier model to go back to."
    assert _serving() == only.pk


def test_rollback_to_a_retired_version_is_refused_and_the_slot_stays(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    first, second = ready_version("v1"), ready_version("v2")
    services.version_activate(version_id=first.pk, actor_id=None)
    services.version_activate(version_id=second.pk, actor_id=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.version_retire(version_id=first.pk)

    _refused("model_not_ready", lambda: services.version_rollback(actor_id=None))

    assert _serving() == second.pk


def test_retiring_deletes_the_file_but_never_the_serving_version(
    model_dir: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    serving, old = ready_version("v1"), ready_version("v2")
    services.version_activate(version_id=serving.pk, actor_id=None)

    _refused("model_serving", lambda: services.version_retire(version_id=serving.pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.version_retire(version_id=old.pk)

    assert ModelVersion.objects.get(pk=old.pk).status == "retired"
    assert not (model_dir / old.artifact).exists()
    assert (model_dir / serving.artifact).exists()


def test_pruning_keeps_the_newest_five_the_serving_and_the_previous(
    model_dir: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    versions = [ready_version(f"v{n}", age_days=20 - n) for n in range(1, 10)]  # v9 newest
    services.version_activate(version_id=versions[0].pk, actor_id=None)  # v1
    services.version_activate(version_id=versions[1].pk, actor_id=None)  # v2 serves, v1 before
    stray, old_stray = model_dir / "being-written.part", model_dir / "killed-save.part"
    stray.write_bytes(b"x")
    old_stray.write_bytes(b"x")
    os.utime(old_stray, (time.time() - 7200, time.time() - 7200))

    with django_capture_on_commit_callbacks(execute=True):
        retired = services.versions_prune()

    assert sorted(retired) == [versions[2].pk, versions[3].pk]  # v3, v4
    ready = ModelVersion.objects.filter(status="ready").values_list("label", flat=True)
    assert sorted(ready) == ["v1", "v2", "v5", "v6", "v7", "v8", "v9"]
    assert sorted(path.name for path in model_dir.glob("*.npz")) == [
        f"{label}.npz" for label in sorted(ready)
    ]
    assert stray.exists()  # younger than an hour: a save may still be writing it
    assert not old_stray.exists()


def test_the_selectors_list_versions_the_serving_one_and_the_history() -> None:
    first = ready_version("v1", metrics={"validation_ndcg_at_10": 0.25})
    second = ready_version("v2")
    services.version_activate(version_id=first.pk, actor_id=None)
    services.version_activate(version_id=second.pk, actor_id=None, reason="better")

    listed = selectors.versions_list()
    active = selectors.active_version()
    history = selectors.activation_history()

    assert [(v.label, v.is_active) for v in listed] == [("v2", True), ("v1", False)]
    assert listed[1].metrics == {"validation_ndcg_at_10": 0.25}
    assert listed[1].seconds == 60.0
    assert active is not None
    assert active.label == "v2"
    assert [(h.version_label, h.previous_label, h.reason) for h in history] == [
        ("v2", "v1", "better"),
        ("v1", "", ""),
    ]
    assert selectors.training_version() is None
    assert selectors.version_detail(424242) is None


@pytest.mark.parametrize("limit", [0, 501])
def test_a_listing_limit_out_of_range_is_refused(limit: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        selectors.versions_list(limit=limit)

    assert (refused.value.code, refused.value.field) == ("invalid_limit", "limit")
