"""bench/report.py: the tables between markers in docs/benchmarks.md come from the benches'
JSON; the narrative around them is left alone and a second run changes nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import report  # noqa: E402  (bench/ is a folder of scripts, not a package)


def _result(p50: float, p99: float, **extra: Any) -> dict[str, Any]:
    return {
        "offered_rate": 100.0,
        "achieved_rate": 99.0,
        "p50_ms": p50,
        "p99_ms": p99,
        "shed": 0,
        "error_responses": 0,
        "connection_errors": 0,
        "timeouts": 0,
        "client_cpu_share": 0.05,
        "behind_schedule": False,
        **extra,
    }


def _target(name: str, path: str, capacity: float, ratio: float, p99: float) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "method": "GET",
        "capacity": capacity,
        "capacity_min": capacity - 10,
        "capacity_max": capacity + 10,
        "ratio_to_floor": ratio,
        "rounds_kept": 3,
        "rounds_discarded": 1,
        "unbalanced_kept": 0,
        "rounds": [{"other_cpu_share": 0.04}, {"other_cpu_share": 0.12}],
        "open_loop": [
            {"fraction": 0.25, "result": _result(1.5, p99 / 2)},
            {"fraction": 0.5, "result": _result(2.0, p99, timeouts=2)},
        ],
    }


def _document(me_capacity: float, me_p99: float) -> dict[str, Any]:
    return {
        "schema": report.LOAD_SCHEMA,
        "bench": "http-floor",
        "server": "wsgi gthread x4",
        "created": "2026-12-07T09:00:00+00:00",
        "machine": {"database": "postgres", "cache": "redis"},
        "options": {"rounds": 3, "duration": 10, "arrivals": "poisson", "open_duration": 10.0},
        "floor": _target("hello", "/hello", 3000.0, 1.0, 8.0),
        "targets": [_target("me", "/api/v1/me", me_capacity, me_capacity / 3000.0, me_p99)],
        "load_average_before": 0.5,
        "load_average_after": 1.5,
        "notes": [],
    }


DOC = """# Benchmarks

Narrative stays.

<!-- bench:http-floor -->
old table
<!-- /bench -->

More narrative.

<!-- bench:search -->
kept as it is: no JSON yet
<!-- /bench -->
"""


def test_blocks_are_rendered_from_json_and_the_rest_is_kept(tmp_path: Path) -> None:
    (tmp_path / "http-floor.json").write_text(json.dumps(_document(600.0, 40.0)))

    rendered, done = report.render_document(DOC, bench_dir=tmp_path)

    assert rendered.startswith("# Benchmarks\n\nNarrative stays.\n\n<!-- bench:http-floor -->\n")
    assert "old table" not in rendered
    assert "More narrative." in rendered
    assert "<!-- bench:search -->\nkept as it is: no JSON yet\n<!-- /bench -->" in rendered
    assert "| me | `GET /api/v1/me` | 600 | 590–610 | 0.200 | 3 / 1 | 12 % |" in rendered
    assert "| hello | `GET /hello` | 3,000 | 2,990–3,010 | 1.000 | 3 / 1 | 12 % |" in rendered
    assert "| me | 50 % | 100 | 99 | 2.0 | 40.0 | 0 | 0 | 2 | 5 % | no |" in rendered
    assert done[0].startswith("http-floor: from ")
    assert done[1].startswith("search: kept")


def test_rendering_twice_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "http-floor.json").write_text(json.dumps(_document(600.0, 40.0)))

    once, _ = report.render_document(DOC, bench_dir=tmp_path)
    twice, _ = report.render_document(once, bench_dir=tmp_path)

    assert twice == once


def test_a_baseline_adds_a_before_and_after_table(tmp_path: Path) -> None:
    (tmp_path / "http-floor.json").write_text(json.dumps(_document(1500.0, 12.0)))
    (tmp_path / "http-floor.before.json").write_text(json.dumps(_document(600.0, 40.0)))

    rendered, _ = report.render_document(DOC, bench_dir=tmp_path)

    assert "| me | 600 | 1,500 | 0.200 | 0.500 | 40.0 | 12.0 |" in rendered
    assert "| hello | 3,000 | 3,000 | 1.000 | 1.000 | 8.0 | 8.0 |" in rendered


def test_other_benches_json_becomes_a_table_of_its_results(tmp_path: Path) -> None:
    document = {"results": [{"phase": "earn", "per_second": 812.25, "p99_ms": 4.5}]}
    (tmp_path / "ledger.json").write_text(json.dumps(document))
    doc = "<!-- bench:ledger -->\n<!-- /bench -->\n"

    rendered, _ = report.render_document(doc, bench_dir=tmp_path)

    assert rendered == (
        "<!-- bench:ledger -->\n"
        "| phase | per_second | p99_ms |\n| --- | ---: | ---: |\n| earn | 812 | 4.5 |\n"
        "<!-- /bench -->\n"
    )


def test_the_check_mode_fails_on_a_stale_doc_and_passes_once_rewritten(tmp_path: Path) -> None:
    (tmp_path / "http-floor.json").write_text(json.dumps(_document(600.0, 40.0)))
    doc = tmp_path / "benchmarks.md"
    doc.write_text(DOC)
    arguments = ["--doc", str(doc), "--dir", str(tmp_path)]

    assert report.main([*arguments, "--check"]) == 1
    assert doc.read_text() == DOC
    assert report.main(arguments) == 0
    assert report.main([*arguments, "--check"]) == 0


def test_a_bench_with_several_servers_gets_a_section_each_against_the_old_baseline() -> None:
    repeated, uncached = _document(700.0, 30.0), _document(650.0, 40.0)
    uncached["targets"][0]["name"] = "me (uncached)"
    before = {"servers": {"repeated": _document(100.0, 120.0)}}
    text = report.render_block({"servers": {"repeated": repeated, "uncached": uncached}}, before)
    assert text.index("**repeated**") < text.index("**uncached**")
    # The old code cached nothing: its only server is the baseline of both, name suffix aside.
    assert text.count("| me | 100 | 700 |") == 1
    assert text.count("| me (uncached) | 100 | 650 |") == 1


def test_an_overload_run_becomes_a_table_of_goodput_and_shedding() -> None:
    run = {
        "target": "detail",
        "admission": "on",
        "capacity": 577.0,
        "offered_rate": 1155.0,
        "goodput": 428.0,
        "goodput_share": 0.74,
        "shed": 7261,
        "shed_p99_ms": 366.6,
        "timeouts": 0,
        "p50_ms": 127.3,
        "p99_ms": 964.8,
        "client_cpu_share": 0.34,
        "behind_schedule": True,
    }
    text = report.render_block(
        {"schema": "circlemart-bench-overload/1", "overload": 2.0, "runs": [run]}
    )
    assert "| detail | on | 577 | 1,155 | 428 | 74 % | 7261 | 366.6 | 0 | 127.3 | 964.8 |" in text
    assert "34 % behind" in text
