from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from circlemart.recommend.models import ModelVersion, ServingSlot
from circlemart.recommend.services.versions import version_activate
from tests.recommend.training.builders import ready_version
from tests.recommend.training.conftest import Shop

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("recommend", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _refused(*args: str) -> str:
    with pytest.raises(CommandError) as refused:
        _run(*args)
    return str(refused.value)


def test_train_and_activate_reports_the_model(shop: Shop) -> None:
    progress = io.StringIO()
    out = io.StringIO()

    call_command("recommend", "train", "--activate", stdout=out, stderr=progress)

    version = ModelVersion.objects.get()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(
        f"Model {version.label} (version {version.pk}) is ready: "
        "11 interactions of 3 users on 6 products, "
    )
    assert lines[-1] == f"Model {version.label} serves now."
    assert ServingSlot.objects.get().version_id == version.pk
    assert "100%" in progress.getvalue()  # the bar reached the end


def test_versions_lists_the_serving_one_and_failures() -> None:
    serving = ready_version("v1", metrics={"validation_ndcg_at_10": 0.1234})
    version_activate(version_id=serving.pk, actor_id=None)
    ModelVersion.objects.create(label="broken", status="failed", error="RuntimeError: boom")

    lines = _run("versions").splitlines()

    assert lines[0].split() == [
        "id",
        "label",
        "status",
        "finished",
        "NDCG@10",
        "users",
        "items",
        "events",
    ]
    assert lines[1].split()[:3] == [str(serving.pk + 1), "broken", "failed"]
    assert lines[2].strip() == "RuntimeError: boom"
    assert lines[3].startswith(f"* {serving.pk:>4}  v1 ")
    assert "0.1234" in lines[3]
    assert lines[-1] == "* serving"


def test_versions_with_none_says_how_to_start(db: None) -> None:
    assert _run("versions") == "No model versions yet: run `circlemart recommend train`.\n"


def test_activate_rollback_and_retire(db: None) -> None:
    first, second = ready_version("v1"), ready_version("v2")

    assert _run("activate", str(first.pk)) == f"Version {first.pk} serves now.\n"
    assert _run("activate", str(second.pk)) == f"Version {second.pk} serves now.\n"
    assert _run("rollback") == f"Rolled back: version {first.pk} serves now.\n"
    assert _run("retire", str(second.pk)) == f"Version {second.pk} is retired.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("activate", "424242"), "There is no model version 424242."),
        (("activate", "abc"), "Not a whole number: 'abc'"),
        (("rollback",), "There is no earlier model to go back to."),
        (("train", "--days", "0"), "Must be at least 1: 0"),
        (("evaluate", "--k", "0"), "Must be at least 1: 0"),
        (("evaluate", "--k", "1001"), "--k must be between 1 and 1000."),
    ],
)
def test_refusals_are_command_errors(db: None, args: tuple[str, ...], message: str) -> None:
    assert _refused(*args) == message


def test_a_corrupt_model_cannot_be_activated(model_dir: Path) -> None:
    version = ready_version("v1")
    (model_dir / version.artifact).write_bytes(b"not a model")

    assert _refused("activate", str(version.pk)) == (
        "The file of model v1 is damaged or missing (v1.npz does not match its recorded SHA-256)."
    )
    assert ServingSlot.objects.filter(version__isnull=False).count() == 0


def test_evaluate_hands_its_options_to_the_harness(
    db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []

    def run_evaluate(**options: Any) -> int:
        calls.append(options)
        options["stdout"].write("table\n")
        return 0

    monkeypatch.setattr("circlemart.recommend.evaluation.cli.run_evaluate", run_evaluate)
    output = tmp_path / "table.md"

    assert (
        _run("evaluate", "--dataset", "movielens", "--k", "20", "--quick", "--output", str(output))
        == "table\n"
    )
    assert [{k: v for k, v in call.items() if k != "stdout"} for call in calls] == [
        {"datasets": ["movielens"], "k": 20, "quick": True, "output": output}
    ]


def test_an_evaluation_that_stops_is_an_error(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("circlemart.recommend.evaluation.cli.run_evaluate", lambda **options: 2)

    assert _refused("evaluate") == "The evaluation stopped (status 2); see above."
