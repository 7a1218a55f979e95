"""The quick runs' shared template (bench/http_floor.copied_from_template) and the command
bench/quick.py gives each bench."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import http_floor  # noqa: E402  (bench/ is a folder of scripts, not a package)
import quick  # noqa: E402


def _template(tmp_path: Path) -> Path:
    template = tmp_path / "template"
    (template / "static").mkdir(parents=True)
    (template / "static" / "staticfiles.json").write_text("{}")
    (template / "circlemart.sqlite3").write_bytes(b"migrated")
    (template / "secret_key").write_text("template secret")
    return template


def test_migrate_into_a_fresh_sqlite_data_dir_copies_the_template(tmp_path: Path) -> None:
    template, data = _template(tmp_path), tmp_path / "data"
    environment = {http_floor.TEMPLATE_ENV: str(template), "CIRCLEMART_DATA_DIR": str(data)}

    assert http_floor.copied_from_template(["migrate", "--noinput"], environment)
    assert (data / "circlemart.sqlite3").read_bytes() == b"migrated"
    assert (data / "secret_key").read_text() == "template secret"
    assert http_floor.copied_from_template(["collectstatic", "--noinput"], environment)
    assert (data / "static" / "staticfiles.json").read_text() == "{}"
    # Done once: a second migrate or collectstatic runs for real.
    assert not http_floor.copied_from_template(["migrate"], environment)
    assert not http_floor.copied_from_template(["collectstatic"], environment)


def test_without_a_template_or_on_postgres_migrate_runs_for_real(tmp_path: Path) -> None:
    template, data = _template(tmp_path), tmp_path / "data"
    postgres = {
        http_floor.TEMPLATE_ENV: str(template),
        "CIRCLEMART_DATA_DIR": str(data),
        "DATABASE_URL": "postgres://postgres@127.0.0.1/x",
    }

    assert not http_floor.copied_from_template(["migrate"], {"CIRCLEMART_DATA_DIR": str(data)})
    assert not http_floor.copied_from_template(["migrate"], postgres)
    assert not (data / "circlemart.sqlite3").exists()
    assert not http_floor.copied_from_template(["shell", "-c", "1"], postgres)
    # Static files do not depend on the database.
    assert http_floor.copied_from_template(["collectstatic"], postgres)


def test_each_bench_gets_quick_its_database_redis_and_json_path(tmp_path: Path) -> None:
    postgres = quick.Postgres("postgres://postgres@127.0.0.1:5432")
    benches = {bench.name: bench for bench in quick.BENCHES}

    def command(name: str) -> list[str]:
        return quick.command_for(
            benches[name],
            json_dir=tmp_path,
            database_url=postgres.url("scratch"),
            postgres=postgres,
            redis_url="redis://127.0.0.1:6379/10",
        )

    assert command("http-floor")[1:] == [
        str(ROOT / "bench" / "http_floor.py"),
        "--quick",
        "--json",
        str(tmp_path / "http-floor.json"),
    ]
    assert command("feed")[3:7] == [
        "--database-url",
        "postgres://postgres@127.0.0.1:5432/scratch",
        "--redis-url",
        "redis://127.0.0.1:6379/10",
    ]
    assert command("search")[3:5] == [
        "--database-url",
        "postgres://postgres@127.0.0.1:5432/scratch",
    ]
    assert command("catalog-vs-oscar")[3:5] == ["--postgres", "postgres://postgres@127.0.0.1:5432"]
    assert {Path(bench.script).name for bench in quick.BENCHES} == {
        path.name for path in (ROOT / "bench").glob("*.py")
    } - {"load.py", "quick.py", "report.py"}


def test_benches_side_by_side_get_a_redis_database_each() -> None:
    assert (
        quick.redis_database("redis://127.0.0.1:6379/10", offset=0) == "redis://127.0.0.1:6379/10"
    )
    assert (
        quick.redis_database("redis://127.0.0.1:6379/10", offset=2) == "redis://127.0.0.1:6379/12"
    )
    assert quick.redis_database("redis://127.0.0.1:6379", offset=1) == "redis://127.0.0.1:6379/1"
