"""The evaluation report as plain-text table lines and as the markdown document in docs/."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

from circlemart.recommend.evaluation.metrics import SliceResult
from circlemart.recommend.evaluation.runner import BASELINES, BLEND, SLICES, DatasetReport

TARGET_LIFT = 0.05
SLICE_TITLES = {
    "all": "whole population (lists may contain the user's past items)",
    "repeat": "repeat purchases (relevant = test items the user had before; same lists as 'all')",
    "new": (
        "items new to the customer (relevant = test items the user never had; "
        "lists exclude past items)"
    ),
}
# the "repeat" slice is scored with the lists tuned for the whole population
TUNED_FOR = {"all": "all", "repeat": "all", "new": "new"}


def result_for(report: DatasetReport, model: str, slice_name: str) -> SliceResult:
    return report.test[model][TUNED_FOR[slice_name]][slice_name]


def best_baseline(report: DatasetReport, slice_name: str) -> tuple[str, float]:
    scored = [(name, result_for(report, name, slice_name).ndcg) for name in BASELINES]
    return max(scored, key=lambda pair: pair[1])


def lift(report: DatasetReport, slice_name: str) -> tuple[str, float, float, float]:
    """(best baseline, its NDCG, the blend's NDCG, relative lift)."""
    name, baseline = best_baseline(report, slice_name)
    blend = result_for(report, BLEND, slice_name).ndcg
    return name, baseline, blend, (blend / baseline - 1.0) if baseline > 0 else float("inf")


def table_rows(report: DatasetReport, slice_name: str) -> list[list[str]]:
    k = report.k
    header = [
        "model",
        f"Recall@{k}",
        f"NDCG@{k}",
        f"MAP@{k}",
        "coverage",
        "novelty",
        "diversity",
        "users",
    ]
    rows = [header]
    for model in (*BASELINES, BLEND):
        result = result_for(report, model, slice_name)
        rows.append(
            [
                model,
                f"{result.recall:.4f}",
                f"{result.ndcg:.4f}",
                f"{result.map:.4f}",
                f"{result.coverage:.3f}",
                f"{result.novelty:.2f}",
                f"{result.diversity:.3f}",
                str(result.users),
            ]
        )
    return rows


def plain_table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return "\n".join(lines)


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines.extend("| " + " | ".join(row) + " |" for row in rows[1:])
    return "\n".join(lines)


def target_lines(report: DatasetReport) -> list[str]:
    lines = []
    for slice_name in ("all", "new"):
        name, baseline, blend, relative = lift(report, slice_name)
        verdict = "met" if relative >= TARGET_LIFT else "MISSED"
        lines.append(
            f"{slice_name}: blend NDCG@{report.k} {blend:.4f} "
            f"vs best baseline {name} {baseline:.4f} "
            f"→ {relative:+.1%} (target ≥ +{TARGET_LIFT:.0%}: {verdict})"
        )
    return lines


def plain_report(report: DatasetReport) -> str:
    parts = [f"== {report.name} (k={report.k}{', quick sample' if report.quick else ''}) =="]
    parts.append("split: " + "; ".join(f"{name} {span}" for name, span in report.split.items()))
    for slice_name in SLICES:
        parts.append(f"-- {SLICE_TITLES[slice_name]}")
        parts.append(plain_table(table_rows(report, slice_name)))
    parts.extend(target_lines(report))
    parts.append(
        f"seconds: {report.seconds:.1f} (fit on train+validation: "
        + ", ".join(f"{m} {s:.1f}" for m, s in report.fit_seconds.items())
        + ")"
    )
    return "\n".join(parts)


METHOD = """\
## Method

- **Time-based split, no peeking.** Each dataset is cut at two instants:
  train < t_val ≤ validation < t_test ≤ test. Every baseline's hyper-parameters are chosen by
  NDCG@K on the validation period with models fitted on the training period only; the blend's
  ranker (a logistic regression over candidate features) is learned on the same validation
  period. The tuned configurations are then refitted on train + validation and the test period
  is scored once.
- **Users evaluated**: those with at least one interaction before the period and at least one in
  it. Relevant items = the distinct items the user took in the period (binary relevance).
- **Metrics over all items** (no sampled negatives): Recall@K = hits / |relevant|; NDCG@K with
  binary gains and the ideal DCG over min(|relevant|, K); MAP@K = Σ precision@i at hits /
  min(|relevant|, K); coverage = share of the catalogue that appears in any evaluated list;
  novelty = mean −log2 of the share of training users who had the item; intra-list diversity =
  1 − mean pairwise cosine of the items' content embeddings (TF-IDF + SVD on the catalogue text).
- **Slices.** *all*: every relevant item; lists may contain the user's past items. *repeat*:
  relevant = test items the user had before (same lists as *all*). *new*: relevant = test items
  the user never had, and every model's list is re-ranked **without the user's past items**
  (buy-again therefore scores ~0 there).
- Baselines are tuned separately for *all* and for *new* (each gets its best configuration on
  each slice); the blend uses one configuration for both, so it is held to the stricter bar.
- Content embeddings are fitted on the text of every catalogue item (text only, no interactions).
"""


def markdown_document(reports: Sequence[DatasetReport]) -> str:
    today = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "# Recommendation offline evaluation",
        "",
        f"Generated by `circlemart recommend evaluate` on {today}. "
        "Do not edit by hand; re-run the command.",
        "",
        METHOD,
    ]
    for report in reports:
        parts.extend(_markdown_dataset(report))
    return "\n".join(parts) + "\n"


def _markdown_dataset(report: DatasetReport) -> list[str]:
    parts = [
        f"## {report.name}{' (quick sample)' if report.quick else ''}",
        "",
        f"Source and licence: {report.source}.",
        "",
    ]
    parts.append("| period | span (UTC) |")
    parts.append("|---|---|")
    parts.extend(f"| {name} | {span} |" for name, span in report.split.items())
    parts.append("")
    parts.append(
        "Counts: " + ", ".join(f"{name} {value:,}" for name, value in report.counts.items()) + "."
    )
    parts.append("")
    for slice_name in SLICES:
        parts.append(f"### {SLICE_TITLES[slice_name]}")
        parts.append("")
        parts.append(markdown_table(table_rows(report, slice_name)))
        parts.append("")
    parts.append("### Target: blend vs the best single baseline (NDCG, test period)")
    parts.append("")
    parts.extend(f"- {line}" for line in target_lines(report))
    parts.append("")
    parts.append("### Tuned hyper-parameters (validation NDCG)")
    parts.append("")
    parts.append("| model | tuned for all | val NDCG all | tuned for new | val NDCG new |")
    parts.append("|---|---|---|---|---|")
    for model in BASELINES:
        tuned, scores = report.tuned[model], report.validation[model]
        parts.append(
            f"| {model} | `{tuned['all']}` | {scores['all']:.4f} "
            f"| `{tuned['new']}` | {scores['new']:.4f} |"
        )
    if report.blend_params is not None:
        params = asdict(report.blend_params)
        coefficients = params.pop("coefficients")
        parts.append("")
        parts.append(f"Blend parameters: `{params}`.")
        parts.append("")
        parts.append(
            "Blend coefficients (logistic regression, learned on validation): `"
            + ", ".join(f"{c:.3f}" for c in coefficients)
            + "`."
        )
    parts.append("")
    parts.append(
        "Training seconds on train + validation: "
        + ", ".join(f"{m} {s:.2f}" for m, s in report.fit_seconds.items())
        + f"; whole run {report.seconds:.0f} s."
    )
    parts.append("")
    return parts
