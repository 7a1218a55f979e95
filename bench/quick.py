"""Every bench's `--quick` smoke run, one after the other, as CI runs them (`make bench-quick`).

A smoke run exercises a bench end to end on a tiny scale and checks the answers; it asserts no
speed. To stay within a few minutes, the migrations are paid once: a template data dir
(SQLite migrated, static files collected) that http_floor.circlemart copies instead of
migrating (CIRCLEMART_BENCH_TEMPLATE), and a template PostgreSQL database from which each
PostgreSQL bench gets its own scratch database (CREATE DATABASE … TEMPLATE …), dropped at
the end. JSON output goes to var/bench/quick/<bench>.json. A bench that fails is run once
more (a fresh scratch database): a smoke run that rotted fails twice, while one shed answer
in a cold second of a loaded 2-core machine does not fail CI.

    .venv/bin/python bench/quick.py                          # all of them
    .venv/bin/python bench/quick.py --only http-floor,ledger
    .venv/bin/python bench/quick.py --postgres postgres://postgres@127.0.0.1:5432 \\
        --redis-url redis://127.0.0.1:6379/10
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import http_floor  # noqa: E402  (a sibling script, not a package)

BUDGET_SECONDS = 300.0
# A stuck bench must not hold CI for an hour.
BENCH_TIMEOUT_SECONDS = 240.0


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    arguments: tuple[str, ...] = ()
    # "postgres": a scratch database from the template, passed as `database_flag`;
    # "postgres-server": the server URL only (the bench makes its own databases).
    database: str = ""
    database_flag: str = "--database-url"
    redis: bool = False
    json: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)


# The longest first, so that two at a time finish close together.
BENCHES = (
    Bench("recommend", "recommend.py"),
    Bench("catalog-vs-oscar", "catalog_vs_oscar.py", database="postgres-server", redis=True),
    Bench("feed", "feed.py", database="postgres", redis=True),
    Bench("checkout", "checkout.py", database="postgres"),
    Bench("flash-sale", "flash_sale.py", database="postgres", redis=True),
    Bench("search", "search_latency.py", database="postgres", redis=True),
    Bench("overload", "overload.py"),
    Bench("http-floor", "http_floor.py"),
    Bench("analytics", "analytics.py", arguments=("--ingest",)),
    Bench("live-fanout", "live_fanout.py"),
    Bench("ledger", "ledger.py", database="postgres"),
    Bench("recommend-train", "recommend_train.py"),
)


@dataclass
class Outcome:
    bench: Bench
    seconds: float = 0.0
    returncode: int | None = None
    skipped: str = ""
    log: Path | None = None
    retried: bool = False


# --- PostgreSQL -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Postgres:
    server: str  # postgres://user@host:port, no database

    def url(self, database: str) -> str:
        return f"{self.server.rstrip('/')}/{database}"

    def psql(self, sql: str) -> subprocess.CompletedProcess[str]:
        parts = urllib.parse.urlsplit(self.server)
        command = ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
        command += ["-U", parts.username or "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1"]
        return subprocess.run(
            [*command, "-c", sql], capture_output=True, text=True, check=False, timeout=120
        )

    def available(self) -> bool:
        return shutil.which("psql") is not None and self.psql("SELECT 1").returncode == 0

    def create(self, database: str, *, template: str | None = None) -> None:
        sql = f'CREATE DATABASE "{database}"' + (f' TEMPLATE "{template}"' if template else "")
        done = self.psql(sql)
        if done.returncode != 0:
            raise http_floor.BenchmarkError(f"{sql}: {done.stderr.strip()}")

    def drop(self, database: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


# --- Templates --------------------------------------------------------------------------------


def quiet_environment(**extra: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DEBUG")
        and key not in (http_floor.TEMPLATE_ENV, http_floor.TEMPLATE_DATABASE_ENV)
    }
    environment.update({"LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1", **extra})
    return environment


def make_templates(
    *, work: Path, postgres: Postgres | None, template_database: str
) -> tuple[Path, float]:
    """The template data dir (SQLite migrated, static collected) and, with PostgreSQL, the
    template database migrated, side by side (2 processes on 2 cores)."""
    started = time.monotonic()
    data_dir = work / "template"
    data_dir.mkdir(parents=True)
    sqlite = quiet_environment(CIRCLEMART_DATA_DIR=str(data_dir))
    sqlite_jobs = [(["migrate", "--noinput"], sqlite), (["collectstatic", "--noinput"], sqlite)]
    pg_jobs = []
    if postgres is not None:
        postgres.create(template_database)
        pg_environment = quiet_environment(
            CIRCLEMART_DATA_DIR=str(work / "template-pg"),
            DATABASE_URL=postgres.url(template_database),
        )
        pg_jobs.append((["migrate", "--noinput"], pg_environment))
    with ThreadPoolExecutor(max_workers=2) as pool:
        for job in [pool.submit(_serial, jobs, work) for jobs in (sqlite_jobs, pg_jobs)]:
            job.result()
    return data_dir, time.monotonic() - started


def _serial(jobs: Sequence[tuple[list[str], Mapping[str, str]]], cwd: Path) -> None:
    for arguments, environment in jobs:
        http_floor.circlemart(arguments, environment=environment, cwd=cwd)


# --- Runs -------------------------------------------------------------------------------------


def command_for(
    bench: Bench,
    *,
    json_dir: Path,
    database_url: str | None,
    postgres: Postgres | None,
    redis_url: str,
) -> list[str]:
    command = [sys.executable, str(ROOT / "bench" / bench.script), "--quick", *bench.arguments]
    if bench.database == "postgres" and database_url:
        command += [bench.database_flag, database_url]
    if bench.database == "postgres-server" and postgres is not None:
        command += ["--postgres", postgres.server]
    if bench.redis:
        command += ["--redis-url", redis_url]
    if bench.json:
        command += ["--json", str(json_dir / f"{bench.name}.json")]
    return command


def redis_database(url: str, *, offset: int) -> str:
    """The Redis URL `offset` databases after the one in `url` (redis://host:port/N)."""
    parts = urllib.parse.urlsplit(url)
    index = int(parts.path.strip("/") or 0) + offset
    return urllib.parse.urlunsplit(parts._replace(path=f"/{index}"))


def run_bench(
    bench: Bench,
    *,
    command: Sequence[str],
    environment: Mapping[str, str],
    log_dir: Path,
) -> Outcome:
    log = log_dir / f"{bench.name}.log"
    started = time.monotonic()
    print(f"--> {bench.name}: {' '.join(command[1:])}", flush=True)
    with log.open("w") as output:
        try:
            completed = subprocess.run(
                command,
                env=dict(environment),
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=BENCH_TIMEOUT_SECONDS,
            )
            code: int | None = completed.returncode
        except subprocess.TimeoutExpired:
            code = None
    outcome = Outcome(bench, time.monotonic() - started, code, log=log)
    verdict = "ok" if code == 0 else f"FAILED (exit {code})" if code is not None else "TIMED OUT"
    print(f"    {bench.name}: {verdict} in {outcome.seconds:.0f} s (log {log})", flush=True)
    if code != 0:
        print(_tail(log), flush=True)
    return outcome


def _tail(path: Path, lines: int = 25) -> str:
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(f"    | {line}" for line in text)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    names = [bench.name for bench in BENCHES]
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(names)}")
    parser.add_argument("--skip", default="", help="comma-separated benches to leave out")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server for the scratch databases ('' = leave PostgreSQL benches out)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"),
        help="first Redis database the benches that need one may empty (one each, upwards)",
    )
    parser.add_argument("--json-dir", type=Path, default=ROOT / "var" / "bench" / "quick")
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS, help="seconds [300]")
    parser.add_argument("--parallel", type=int, default=2, help="benches run side by side [2]")
    arguments = parser.parse_args(argv)
    chosen = set((arguments.only or ",".join(names)).split(",")) - set(arguments.skip.split(","))
    unknown = chosen - set(names) - {""}
    if unknown:
        parser.error(f"unknown benches: {', '.join(sorted(unknown))}")
    arguments.benches = [bench for bench in BENCHES if bench.name in chosen]
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    started = time.monotonic()
    stamp = f"{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}"
    postgres = Postgres(arguments.postgres) if arguments.postgres else None
    needs_postgres = any(bench.database for bench in arguments.benches)
    if postgres is not None and not (needs_postgres and postgres.available()):
        if needs_postgres:
            print(f"PostgreSQL at {arguments.postgres} does not answer: its benches are left out")
        postgres = None
    arguments.json_dir.mkdir(parents=True, exist_ok=True)
    template_database = f"cm_quick_template_{stamp}"
    databases: list[str] = []
    outcomes: list[Outcome] = []
    try:
        with tempfile.TemporaryDirectory(prefix="circlemart-quick-") as temporary:
            work = Path(temporary)
            print("templates: migrate + collectstatic once for every bench", flush=True)
            if postgres is not None:
                databases.append(template_database)
            template_dir, seconds = make_templates(
                work=work, postgres=postgres, template_database=template_database
            )
            print(f"templates ready in {seconds:.0f} s", flush=True)
            templates = {http_floor.TEMPLATE_ENV: str(template_dir)}
            if postgres is not None:
                templates[http_floor.TEMPLATE_DATABASE_ENV] = template_database
            environment = quiet_environment(**templates)
            runs = []
            redis_benches = 0

            def command_of(bench: Bench, *, redis_url: str, attempt: int) -> list[str]:
                """The bench's command, with a fresh scratch database for each attempt."""
                database_url = None
                if bench.database == "postgres" and postgres is not None:
                    database = f"cm_quick_{bench.name.replace('-', '_')}_{stamp}_{attempt}"
                    postgres.create(database, template=template_database)
                    databases.append(database)
                    database_url = postgres.url(database)
                return command_for(
                    bench,
                    json_dir=arguments.json_dir,
                    database_url=database_url,
                    postgres=postgres,
                    redis_url=redis_url,
                )

            for bench in arguments.benches:
                if bench.database and postgres is None:
                    outcomes.append(Outcome(bench, skipped="no PostgreSQL"))
                    continue
                # Benches side by side must not empty each other's Redis database.
                redis_url = redis_database(arguments.redis_url, offset=redis_benches)
                redis_benches += bench.redis
                runs.append((bench, redis_url))

            def run_with_one_retry(bench: Bench, redis_url: str) -> Outcome:
                # A smoke run on a loaded 2-core machine can see one shed answer in a cold
                # second; a bench that rotted fails twice. A stuck one is not run again.
                outcome = run_bench(
                    bench,
                    command=command_of(bench, redis_url=redis_url, attempt=1),
                    environment=environment,
                    log_dir=arguments.json_dir,
                )
                if outcome.returncode in (0, None):
                    return outcome
                print(f"    {bench.name}: running it once more", flush=True)
                if outcome.log is not None:  # keep the failed attempt's log beside the next
                    outcome.log.rename(outcome.log.with_suffix(".first-attempt.log"))
                again = run_bench(
                    bench,
                    command=command_of(bench, redis_url=redis_url, attempt=2),
                    environment=environment,
                    log_dir=arguments.json_dir,
                )
                return replace(again, retried=True)

            # Side by side: a smoke run spends much of its time waiting (servers starting,
            # sleeps between phases), and no speed is judged.
            with ThreadPoolExecutor(max_workers=arguments.parallel) as pool:
                futures = [
                    pool.submit(run_with_one_retry, bench, redis_url) for bench, redis_url in runs
                ]
                outcomes += [future.result() for future in futures]
    except http_floor.BenchmarkError as error:
        print(f"\nQUICK RUNS FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        if postgres is not None:
            for database in reversed(databases):
                postgres.drop(database)
    total = time.monotonic() - started
    return summarise(outcomes, total=total, budget=arguments.budget)


def summarise(outcomes: Sequence[Outcome], *, total: float, budget: float) -> int:
    print("\nbench               result     seconds")
    for outcome in outcomes:
        if outcome.skipped:
            result = f"skipped ({outcome.skipped})"
        elif outcome.returncode == 0:
            result = "ok, retried" if outcome.retried else "ok"
        else:
            result = "TIMEOUT" if outcome.returncode is None else f"FAILED {outcome.returncode}"
        print(f"{outcome.bench.name:<19} {result:<10} {outcome.seconds:7.0f}")
    print(f"total {total:.0f} s (budget {budget:.0f} s)")
    if total > budget:
        print(f"WARNING: the quick runs took {total:.0f} s, over the {budget:.0f} s budget")
    failed = [o.bench.name for o in outcomes if not o.skipped and o.returncode != 0]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
