"""Evaluate growth goals: `circlemart analytics goals --evaluate [--goal ID] [--list]`.

Each goal gets its status (on track, at risk, off track, achieved, not enough data) and the
forecast of its value at the deadline; owners and analysts are told when one turns at risk.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any, TextIO

from django.core.management.base import CommandError

from circlemart.analytics.goals import selectors, services
from circlemart.core.errors import DomainError


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--evaluate", action="store_true", help="Evaluate every running goal (or --goal)."
    )
    parser.add_argument("--goal", type=int, default=None, help="Only this goal id.")
    parser.add_argument("--list", action="store_true", help="List the goals and their status.")


def run(options: dict[str, Any], stdout: TextIO) -> None:
    if not options.get("evaluate") and not options.get("list"):
        raise CommandError("Say what to do: --evaluate and/or --list.")
    if options.get("evaluate"):
        try:
            if options.get("goal") is not None:
                evaluations = [services.goal_evaluate(goal_id=options["goal"])]
            else:
                evaluations = services.goals_evaluate_all()
        except DomainError as refused:
            raise CommandError(str(refused.message)) from refused
        for evaluation in evaluations:
            change = (
                f"{evaluation.previous_status} → {evaluation.status}"
                if evaluation.previous_status != evaluation.status
                else evaluation.status
            )
            told = (
                f", {len(evaluation.notified_user_ids)} notified"
                if evaluation.notified_user_ids
                else ""
            )
            stdout.write(f"goal {evaluation.goal_id}: {change}{told}\n")
        stdout.write(f"{len(evaluations)} goal(s) evaluated.\n")
    if options.get("list"):
        for goal in selectors.goals_listed():
            forecast = "—" if goal.forecast_value is None else f"{goal.forecast_value:,.2f}"
            stdout.write(
                f"{goal.pk:>5}  {goal.status:<10} {goal.metric:<20} target "
                f"{goal.target_value:,.2f} forecast {forecast} by {goal.deadline}  {goal.name}\n"
            )
