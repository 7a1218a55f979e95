"""Rewrites the tables of docs/benchmarks.md from the benches' JSON output.

Each generated block sits between two markers; the narrative around them is left alone:

    <!-- bench:http-floor -->
    (generated: replaced on every run)
    <!-- /bench -->

`bench:NAME` renders var/bench/NAME.json. Optional attributes on the opening marker:
`file=PATH` (another JSON file), `before=PATH` (a baseline run of the same bench: adds a
before/after table; default var/bench/NAME.before.json when it exists). A block whose JSON is
missing is kept as it is. Documents written by bench/load.py (schema circlemart-bench-load/1)
get the capacity and open-loop tables; any other document with a "results" list of flat
objects gets that list as a table; a document may also carry ready Markdown in "markdown".

    .venv/bin/python bench/report.py                  # rewrite docs/benchmarks.md in place
    .venv/bin/python bench/report.py --check          # exit 1 if the doc is not up to date
    .venv/bin/python bench/report.py --dir var/bench --doc docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOAD_SCHEMA = "circlemart-bench-load/1"
BLOCK = re.compile(
    r"(?P<open><!-- bench:(?P<name>[\w.-]+)(?P<attributes>[^>]*?)\s*-->\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- /bench -->)",
    re.DOTALL,
)


# --- Markdown helpers -------------------------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1) -> str:
    """A pipe table; the first `left` columns left-aligned, the rest right-aligned."""
    alignment = ["---" if i < left else "---:" for i in range(len(header))]
    lines = [header, alignment, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"


def _ms(value: float) -> str:
    return f"{value:,.1f}"


def _share(value: float) -> str:
    return f"{value:.0%}".replace("%", " %")


# --- Documents written by bench/load.py --------------------------------------------------------


def _targets(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [document["floor"], *document["targets"]]


def capacity_markdown(document: Mapping[str, Any]) -> str:
    floor = document["floor"]["name"]
    rows = []
    for target in _targets(document):
        others = max((r["other_cpu_share"] for r in target["rounds"]), default=0.0)
        unbalanced = "*" if target["unbalanced_kept"] else ""
        rows.append(
            [
                target["name"],
                f"`{target['method']} {target['path']}`",
                _rate(target["capacity"]),
                f"{_rate(target['capacity_min'])}–{_rate(target['capacity_max'])}",
                f"{target['ratio_to_floor']:.3f}",
                f"{target['rounds_kept']}{unbalanced} / {target['rounds_discarded']}",
                _share(others),
            ]
        )
    header = [
        "target",
        "request",
        "capacity req/s",
        "range",
        f"vs {floor}",
        "rounds kept / discarded",
        "others' CPU",
    ]
    return markdown_table(header, rows, left=2)


def open_loop_markdown(document: Mapping[str, Any]) -> str:
    rows = []
    for target in _targets(document):
        for point in target["open_loop"]:
            r = point["result"]
            rows.append(
                [
                    target["name"],
                    f"{point['fraction']:.0%}".replace("%", " %"),
                    _rate(r["offered_rate"]),
                    _rate(r["achieved_rate"]),
                    _ms(r["p50_ms"]),
                    _ms(r["p99_ms"]),
                    str(r["shed"]),
                    str(r["error_responses"] + r["connection_errors"]),
                    str(r["timeouts"]),
                    _share(r["client_cpu_share"]),
                    "**yes**" if r["behind_schedule"] else "no",
                ]
            )
    header = [
        "target",
        "load",
        "offered req/s",
        "sent req/s",
        "p50 ms",
        "p99 ms",
        "shed",
        "errors",
        "timeouts",
        "client CPU",
        "behind",
    ]
    return markdown_table(header, rows, left=1)


def _point(target: Mapping[str, Any], fraction: float) -> Mapping[str, Any] | None:
    for point in target["open_loop"]:
        if abs(point["fraction"] - fraction) < 1e-9:
            return dict(point["result"])
    return None


def _same_target(name: str) -> str:
    # "search (uncached)" after is "search (repeated)" before: the old code cached nothing.
    return re.sub(r" \([^)]*\)$", "", name)


def before_after_markdown(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """Per target of the current run: capacity, ratio to the floor and p99 at 50 %, then and
    now (each against the floor of its own run)."""
    previous = {_same_target(target["name"]): target for target in _targets(before)}
    floor = after["floor"]["name"]
    rows = []
    for target in _targets(after):
        old = previous.get(_same_target(target["name"]))
        if old is None:
            continue
        old_point, new_point = _point(old, 0.5), _point(target, 0.5)
        rows.append(
            [
                target["name"],
                _rate(old["capacity"]),
                _rate(target["capacity"]),
                f"{old['ratio_to_floor']:.3f}",
                f"{target['ratio_to_floor']:.3f}",
                _ms(old_point["p99_ms"]) if old_point else "–",
                _ms(new_point["p99_ms"]) if new_point else "–",
            ]
        )
    header = [
        "target",
        "req/s before",
        "req/s after",
        f"vs {floor} before",
        f"vs {floor} after",
        "p99 ms @50 % before",
        "p99 ms @50 % after",
    ]
    return markdown_table(header, rows, left=1)


def _run_line(document: Mapping[str, Any]) -> str:
    machine = document.get("machine", {})
    options = document.get("options", {})
    facts = [
        f"run {document.get('created', '?')}",
        f"server {document.get('server') or '?'}",
        f"database {machine.get('database', '?')}",
        f"cache {machine.get('cache', '?')}",
        f"{options.get('rounds', '?')} rounds × {options.get('duration', '?')} s",
        f"open loop {options.get('arrivals', '?')} {options.get('open_duration', '?')} s per point",
        f"load average {document.get('load_average_before', '?')} → "
        f"{document.get('load_average_after', '?')}",
    ]
    if options.get("quick"):
        facts.append("**--quick smoke run: not a measurement**")
    return "_" + ", ".join(facts) + "._"


def load_markdown(document: Mapping[str, Any], before: Mapping[str, Any] | None) -> str:
    parts = [
        _run_line(document),
        "Closed loop (wrk), capacity = median of the kept rounds:",
        capacity_markdown(document),
        "Open loop, latency from each request's scheduled send time:",
        open_loop_markdown(document),
    ]
    if any(t["unbalanced_kept"] for t in _targets(document)):
        parts.insert(3, "\\* a round kept although its workers stayed unbalanced.")
    if before is not None and before.get("schema") == LOAD_SCHEMA:
        parts += [
            f"Before ({before.get('created', '?')}) and after, each against its own run's floor:",
            before_after_markdown(before, document),
        ]
    for note in document.get("notes", []):
        parts.append(f"Note: {note}")
    return "\n\n".join(parts)


# --- Other documents --------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, list | tuple):
        return "–".join(_cell(v) for v in value)
    return "" if value is None else str(value).replace("|", "\\|")


def generic_markdown(document: Mapping[str, Any]) -> str:
    if isinstance(document.get("markdown"), str):
        return str(document["markdown"]).strip()
    results = document.get("results")
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        return "_(no table in this bench's JSON: it has no `results` list)_"
    header = list(results[0])
    rows = [[_cell(row.get(column)) for column in header] for row in results]
    return markdown_table(header, rows, left=1)


def _sections(document: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """The load documents inside a bench's own: one per server (search) or path (feed)."""
    if document is None:
        return {}
    if isinstance(document.get("servers"), dict):
        return dict(document["servers"])
    if isinstance(document.get("paths"), dict):
        return {name: path["report"] for name, path in document["paths"].items()}
    return {}


def sections_markdown(document: Mapping[str, Any], before: Mapping[str, Any] | None) -> str:
    previous = _sections(before) or ({"": before} if before is not None else {})
    parts = []
    for name, section in _sections(document).items():
        baseline = previous.get(name) or next(iter(previous.values()), None)
        parts += [f"**{name}**", load_markdown(section, baseline)]
    return "\n\n".join(parts)


def overload_markdown(document: Mapping[str, Any]) -> str:
    header = [
        "target",
        "admission",
        "capacity req/s",
        "offered req/s",
        "goodput req/s",
        "of capacity",
        "shed",
        "shed p99 ms",
        "timeouts",
        "p50 ms",
        "p99 ms",
        "client CPU",
    ]
    rows = [
        [
            run["target"],
            run["admission"],
            _rate(run["capacity"]),
            _rate(run["offered_rate"]),
            _rate(run["goodput"]),
            _share(run["goodput_share"]),
            str(run["shed"]),
            _ms(run["shed_p99_ms"]) if run["shed"] else "–",
            str(run["timeouts"]),
            _ms(run["p50_ms"]),
            _ms(run["p99_ms"]),
            _share(run["client_cpu_share"]) + (" behind" if run["behind_schedule"] else ""),
        ]
        for run in document["runs"]
    ]
    floor = document.get("floor_capacity")
    line = (
        f"_run {document.get('created', '?')}, server {document.get('server', '?')}, "
        f"{document.get('overload', '?')}× capacity offered"
        + (f", /hello {_rate(floor)} req/s" if isinstance(floor, int | float) else "")
        + "._"
    )
    return line + "\n\n" + markdown_table(header, rows, left=2)


def extra_rows_markdown(document: Mapping[str, Any]) -> str:
    """Rows a bench adds beside its load document (checkout: placed, paid, unpaid)."""
    parts = []
    for name, extra in (document.get("extra") or {}).items():
        rows = extra.get("rows") if isinstance(extra, dict) else None
        if rows:
            parts += [f"{name}:", generic_markdown({"results": rows})]
    return "\n\n".join(parts)


def render_block(document: Mapping[str, Any], before: Mapping[str, Any] | None = None) -> str:
    if _sections(document):
        return sections_markdown(document, before)
    if document.get("schema") == "circlemart-bench-overload/1":
        return overload_markdown(document)
    if document.get("schema") == LOAD_SCHEMA:
        extra = extra_rows_markdown(document)
        return load_markdown(document, before) + (f"\n\n{extra}" if extra else "")
    return generic_markdown(document)


# --- The doc ----------------------------------------------------------------------------------


def _attributes(text: str) -> dict[str, str]:
    pairs = (part.partition("=") for part in shlex.split(text))
    return {name: value for name, _, value in pairs if value}


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads(path.read_text()))
    except FileNotFoundError:
        return None


def render_document(text: str, *, bench_dir: Path, root: Path = ROOT) -> tuple[str, list[str]]:
    """The doc with every block whose JSON exists regenerated; and what was done, per block."""
    done: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        attributes = _attributes(match["attributes"])
        source = root / attributes["file"] if "file" in attributes else bench_dir / f"{name}.json"
        document = _read(source)
        if document is None:
            done.append(f"{name}: kept ({source} not found)")
            return match.group(0)
        before_path = (
            root / attributes["before"]
            if "before" in attributes
            else bench_dir / f"{name}.before.json"
        )
        before = _read(before_path)
        done.append(f"{name}: from {source}" + (f" and {before_path}" if before else ""))
        body = render_block(document, before).rstrip("\n") + "\n"
        return match["open"] + body + match["close"]

    return BLOCK.sub(replace, text), done


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if the doc would change"
    )
    arguments = parser.parse_args(argv)
    text = arguments.doc.read_text()
    rendered, done = render_document(text, bench_dir=arguments.dir)
    for line in done:
        print(line)
    if arguments.check:
        if rendered != text:
            print(f"{arguments.doc} is not up to date with {arguments.dir}", file=sys.stderr)
            return 1
        return 0
    if rendered != text:
        arguments.doc.write_text(rendered)
        print(f"rewrote {arguments.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
