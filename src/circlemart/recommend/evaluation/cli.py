"""`circlemart recommend evaluate`: run the whole protocol on the chosen datasets, print the
table and write it to docs/recommend-evaluation.md."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from circlemart.recommend.evaluation.datasets import DATASET_NAMES, load_dataset
from circlemart.recommend.evaluation.metrics import check_k
from circlemart.recommend.evaluation.report import markdown_document, plain_report
from circlemart.recommend.evaluation.runner import evaluate_dataset


def run_evaluate(
    *, datasets: list[str], k: int, quick: bool, output: Path | None, stdout: TextIO
) -> int:
    """Returns the exit status: 0 done, 2 bad arguments. The Markdown table is written only to
    `output` (the repository's copy: `--output docs/recommend-evaluation.md`)."""
    names = list(DATASET_NAMES) if datasets in (["all"], []) else datasets
    unknown = [name for name in names if name not in DATASET_NAMES]
    if unknown:
        stdout.write(
            f"unknown dataset {', '.join(unknown)}; choose from {', '.join(DATASET_NAMES)} or all\n"
        )
        return 2
    try:
        check_k(k)
    except ValueError as error:
        stdout.write(f"{error}\n")
        return 2

    def log(line: str) -> None:
        stdout.write(line + "\n")

    reports = []
    for name in names:
        report = evaluate_dataset(load_dataset(name), k=k, quick=quick, log=log)
        stdout.write(plain_report(report) + "\n")
        reports.append(report)
    target = output
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(markdown_document(reports), encoding="utf-8")
        stdout.write(f"wrote {target}\n")
    return 0
