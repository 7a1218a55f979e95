"""`circlemart recommend <action>`: train a model, list versions, activate, roll back, retire,
and run the offline evaluation.

  circlemart recommend train [--activate] [--quiet] [--days 365]
  circlemart recommend versions [--limit 20]
  circlemart recommend activate <id> [--reason TEXT]
  circlemart recommend rollback [--reason TEXT]
  circlemart recommend retire <id>
  circlemart recommend evaluate [--dataset online-retail|movielens|all] [--k 10] [--quick]
                                [--output PATH]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from circlemart.core.errors import DomainError
from circlemart.recommend.selectors import versions as version_selectors
from circlemart.recommend.services import versions as version_services
from circlemart.recommend.training.job import TrainingOptions, training_run
from circlemart.recommend.training.schedule import validation_metric

DATASETS = {"online-retail": ["online-retail"], "movielens": ["movielens"]}
DATASETS["all"] = [*DATASETS["online-retail"], *DATASETS["movielens"]]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as bad:
        raise CommandError(f"Not a whole number: {text!r}") from bad
    if value < 1:
        raise CommandError(f"Must be at least 1: {value}")
    return value


class Command(BaseCommand):
    help = "Recommendation models: train, list, activate, roll back, retire, evaluate."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        train = actions.add_parser("train", help="Train a new model version on the shop's data.")
        train.add_argument("--activate", action="store_true", help="Serve it when done.")
        train.add_argument("--quiet", action="store_true", help="No progress bar.")
        train.add_argument("--days", default="365", help="Days of history to learn from.")
        listing = actions.add_parser("versions", help="List model versions and their metrics.")
        listing.add_argument("--limit", default="20", help="How many (newest first).")
        activate = actions.add_parser("activate", help="Serve a ready model version.")
        activate.add_argument("version", help="The version id.")
        activate.add_argument("--reason", default="", help="Recorded in the activation log.")
        rollback = actions.add_parser("rollback", help="Serve the previous version again.")
        rollback.add_argument("--reason", default="", help="Recorded in the activation log.")
        retire = actions.add_parser("retire", help="Retire a version and delete its file.")
        retire.add_argument("version", help="The version id.")
        evaluate = actions.add_parser(
            "evaluate", help="Offline evaluation of the baselines and the blend on real data."
        )
        evaluate.add_argument("--dataset", choices=sorted(DATASETS), default="all")
        evaluate.add_argument("--k", default="10", help="List length (K of the metrics).")
        evaluate.add_argument("--quick", action="store_true", help="Sampled users, no tuning.")
        evaluate.add_argument("--output", default="", help="Write the table (Markdown) here.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, f"_{action}")(options)
        except DomainError as refused:
            raise CommandError(str(refused.message)) from refused

    def _train(self, options: dict[str, Any]) -> None:
        days = _positive(options["days"])
        console: TextIO | None = None if options["quiet"] else options.get("stderr") or sys.stderr
        outcome = training_run(
            activate=options["activate"],
            reason="circlemart recommend train",
            options=TrainingOptions(history_days=days),
            console=console,
        )
        trained_on = outcome.trained_on
        self.stdout.write(
            f"Model {outcome.label} (version {outcome.version_id}) is ready: "
            f"{trained_on['interactions']} interactions of {trained_on['users']} users on "
            f"{trained_on['items']} products, {outcome.seconds:.1f} s."
        )
        if outcome.resumed_stages:
            self.stdout.write(
                f"Continued interrupted version {outcome.resumed_from}: reused "
                f"{', '.join(outcome.resumed_stages)}."
            )
        metric = validation_metric(outcome.metrics)
        if metric is not None:
            self.stdout.write(f"Validation NDCG@10: {metric:.4f}")
        if outcome.activated:
            self.stdout.write(f"Model {outcome.label} serves now.")
        if outcome.pruned:
            self.stdout.write(f"Retired old versions: {', '.join(map(str, outcome.pruned))}.")

    def _versions(self, options: dict[str, Any]) -> None:
        rows = version_selectors.versions_list(limit=_positive(options["limit"]))
        if not rows:
            self.stdout.write("No model versions yet: run `circlemart recommend train`.")
            return
        self.stdout.write(
            f"{'':1} {'id':>4}  {'label':<28} {'status':<9} {'finished':<17} "
            f"{'NDCG@10':>8} {'users':>7} {'items':>7} {'events':>9}"
        )
        for row in rows:
            metric = validation_metric(row.metrics)
            finished = f"{row.finished_at:%Y-%m-%d %H:%M}" if row.finished_at else "-"
            if row.status == "training":
                finished = f"{round(row.progress * 100)}% {row.progress_note}"[:17]
            self.stdout.write(
                f"{'*' if row.is_active else ' '} {row.id:>4}  {row.label:<28} "
                f"{row.status:<9} {finished:<17} "
                f"{'-' if metric is None else f'{metric:.4f}':>8} "
                f"{row.trained_on.get('users', '-'):>7} {row.trained_on.get('items', '-'):>7} "
                f"{row.trained_on.get('interactions', '-'):>9}"
            )
            if row.status == "failed" and row.error:
                self.stdout.write(f"         {row.error[:200]}")
        self.stdout.write("* serving")

    def _activate(self, options: dict[str, Any]) -> None:
        version_id = _positive(options["version"])
        version_services.version_activate(
            version_id=version_id,
            actor_id=None,
            reason=options["reason"] or "circlemart recommend activate",
        )
        self.stdout.write(f"Version {version_id} serves now.")

    def _rollback(self, options: dict[str, Any]) -> None:
        version_id = version_services.version_rollback(
            actor_id=None, reason=options["reason"] or "circlemart recommend rollback"
        )
        self.stdout.write(f"Rolled back: version {version_id} serves now.")

    def _retire(self, options: dict[str, Any]) -> None:
        version_id = _positive(options["version"])
        version_services.version_retire(version_id=version_id)
        self.stdout.write(f"Version {version_id} is retired.")

    def _evaluate(self, options: dict[str, Any]) -> None:
        from circlemart.recommend.evaluation.cli import run_evaluate
        from circlemart.recommend.evaluation.metrics import MAX_K

        k = _positive(options["k"])
        if k > MAX_K:
            raise CommandError(f"--k must be between 1 and {MAX_K}.")
        output = Path(options["output"]) if options["output"] else None
        if output is not None and output.is_dir():
            raise CommandError(f"--output must be a file, not a directory: {output}")
        status = run_evaluate(
            datasets=DATASETS[options["dataset"]],
            k=k,
            quick=options["quick"],
            output=output,
            stdout=options.get("stdout") or sys.stdout,
        )
        if status != 0:
            raise CommandError(f"The evaluation stopped (status {status}); see above.")
