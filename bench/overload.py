"""Overload benchmark: goodput past capacity, with admission control on and off (issue 13, item 7).

The server is what `circlemart serve` runs (gunicorn with its admission-control worker,
circlemart.config.gunicorn_worker). First the closed-loop capacity of each target (wrk,
interleaved rounds beside the `/hello` floor, with admission control on: the default queue
bound must shed nothing there), then an open-loop Poisson load at `--overload` times that
capacity (2x by default) against the same server with admission control ON and again,
restarted, with it OFF (ADMISSION_CONTROL=0: gunicorn's plain gthread behaviour), at the same
offered rate. Figures per run: goodput (2xx answers within the client timeout per second) and
its share of capacity, shed answers (503) and their latency p99, timeouts, latency of every
request from its scheduled send time.

Targets: a product page (`detail`) and the search "headphones" (`search`) on
catalog_vs_oscar's generated catalog. With --database-url the database is a scratch one whose
contents are DELETED.

    .venv/bin/python bench/overload.py --quick                     # CI smoke run, no speed asserted
    .venv/bin/python bench/overload.py --json var/bench/overload.json
    .venv/bin/python bench/overload.py --database-url postgres://postgres@127.0.0.1/perf_overload \\
        --redis-url redis://127.0.0.1:6379/5 --targets detail
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import http_floor  # noqa: E402  (sibling scripts, not a package)
import load  # noqa: E402

SCHEMA = "circlemart-bench-overload/1"
WSGI_WORKER_CLASS = "circlemart.config.gunicorn_worker.AdmissionThreadWorker"
ASGI_WORKER_CLASS = "circlemart.config.gunicorn_worker.AdmissionUvicornWorker"
SEARCH_QUERY = "headphones"
# The targets, printed beside the figures (never asserted: the machine is shared).
GOODPUT_TARGET = 0.90
SHED_P99_TARGET_MS = 100.0

# catalog_vs_oscar's catalog (the figures: 10,000 products, "headphones" finds 197).
CATALOG_SEED = 20260611
LOAD_SNIPPET = """
import sys
sys.path.insert(0, {bench_dir!r})
from catalog_vs_oscar import load_into_circlemart
load_into_circlemart({catalog!r}, {images!r}, {out!r})
"""
CARD = b'data-testid="product-card"'


@dataclass(frozen=True)
class OverloadRun:
    """One open-loop run at the overload rate against one server setting."""

    target: str
    admission: str  # "on" or "off"
    capacity: float
    offered_rate: float
    goodput: float
    goodput_share: float
    shed: int
    shed_p99_ms: float
    timeouts: int
    errors: int
    ok: int
    p50_ms: float
    p99_ms: float
    client_cpu_share: float
    behind_schedule: bool
    result: dict[str, Any]


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    load.add_common_arguments(parser)
    parser.add_argument(
        "--overload",
        type=float,
        default=2.0,
        help="offered load as a multiple of each target's capacity [2.0]",
    )
    parser.add_argument(
        "--targets",
        default="detail,search",
        help="comma-separated: detail, search [detail,search]",
    )
    parser.add_argument("--products", type=int, help="generated products [2000; quick 200]")
    arguments = parser.parse_args(argv)
    names = [name.strip() for name in arguments.targets.split(",") if name.strip()]
    unknown = set(names) - {"detail", "search"}
    if unknown or not names:
        parser.error(f"--targets: detail and/or search, not {sorted(unknown) or 'nothing'}")
    if not 1.0 <= arguments.overload <= 4.0:
        parser.error("--overload: between 1 and 4 times capacity")
    arguments.target_names = names
    return arguments


def server_kind(server: str, *, threads: int) -> http_floor.ServerKind:
    """What `circlemart serve --server <server>` runs (cli.server_arguments)."""
    if server == "asgi":
        return http_floor.ServerKind(
            name="asgi",
            label="asgi uvicorn (admission worker)",
            application="circlemart.config.asgi:application",
            worker_arguments=("--worker-class", ASGI_WORKER_CLASS),
        )
    return http_floor.ServerKind(
        name="wsgi",
        label=f"wsgi gthread x{threads} (admission worker)",
        application="circlemart.config.wsgi:application",
        worker_arguments=("--worker-class", WSGI_WORKER_CLASS, "--threads", str(threads)),
    )


def prepare_catalog(
    *, environment: Mapping[str, str], work_dir: Path, products: int, fresh: bool
) -> list[load.Target]:
    """Migrate (and empty a passed-in database), load the generated catalog, index it; the
    targets: the page of a product from the middle of the catalog, and the search."""
    from catalog_vs_oscar import choose, draw_image_pool, generate_catalog

    http_floor.circlemart(["migrate", "--noinput"], environment=environment, cwd=work_dir)
    if fresh:
        http_floor.circlemart(["flush", "--noinput"], environment=environment, cwd=work_dir)
    catalog = generate_catalog(seed=CATALOG_SEED, product_count=products)
    catalog_path = work_dir / "catalog.json"
    catalog_path.write_text(catalog.to_json())
    draw_image_pool(work_dir / "images", seed=CATALOG_SEED)
    snippet = LOAD_SNIPPET.format(
        bench_dir=str(BENCH_DIR),
        catalog=str(catalog_path),
        images=str(work_dir / "images"),
        out=str(work_dir / "ids.json"),
    )
    http_floor.circlemart(["shell", "-c", snippet], environment=environment, cwd=work_dir)
    http_floor.circlemart(["reindex"], environment=environment, cwd=work_dir)
    ids = json.loads((work_dir / "ids.json").read_text())
    choice = choose(catalog, search_term=SEARCH_QUERY)
    title = html.escape(choice.product.title).encode()
    hits = min(len(choice.search_titles), 20)
    if not hits:
        raise http_floor.BenchmarkError(f"{SEARCH_QUERY!r} finds nothing in {products} products")
    return [
        load.Target(
            "detail",
            f"/p/{ids['products'][choice.product.code]}/",
            check=lambda body: title in body,
        ),
        load.Target(
            "search",
            f"/search/?q={SEARCH_QUERY}",
            check=lambda body: body.count(CARD) == hits,
        ),
    ]


class Servers:
    """Starts the server with admission control on or off (one at a time: 2 cores)."""

    def __init__(
        self,
        kind: http_floor.ServerKind,
        *,
        workers: int,
        environment: Mapping[str, str],
        work_dir: Path,
    ) -> None:
        self.kind = kind
        self.workers = workers
        self.environment = dict(environment)
        self.work_dir = work_dir

    def start(self, *, admission: bool) -> http_floor.RunningServer:
        environment = {**self.environment, "ADMISSION_CONTROL": "1" if admission else "0"}
        server = http_floor.RunningServer(
            self.kind, workers=self.workers, environment=environment, work_dir=self.work_dir
        )
        try:
            server.wait_until_ready()
        except BaseException:
            server.stop()
            raise
        return server


def warm_up(
    server: http_floor.RunningServer,
    chosen: Sequence[load.Target],
    *,
    options: load.LoadOptions,
) -> None:
    """Unmeasured closed-loop seconds per target (at least one, --quick too): both workers'
    one-off costs (the segmenter's dictionary, templates, caches) are paid before any figure."""
    for target in chosen:
        load.run_wrk(
            server.base_url,
            target,
            seconds=max(options.warmup, 1),
            connections=options.connections,
        )
    load.wait_until_idle(server.base_url)


def capacities(
    server: http_floor.RunningServer,
    chosen: Sequence[load.Target],
    *,
    options: load.LoadOptions,
) -> dict[str, list[load.CapacityRound]]:
    """Closed-loop rounds, interleaved, beside the floor (wrk fails the run on any 503)."""
    floor = load.hello_target()
    everything = [floor, *chosen]
    for target in everything:
        load.check_target(server.base_url, target)
    master = load.gunicorn_master(server.process.pid)
    warm_up(server, everything, options=options)
    rounds: dict[str, list[load.CapacityRound]] = {target.name: [] for target in everything}
    for number in range(1, options.rounds + 1):
        for target in everything:
            rounds[target.name] += load.balanced_round(
                server.base_url,
                target,
                options=options,
                master=master,
                round_number=number,
                log=lambda line: print(line, flush=True),
            )
    return rounds


def overload_run(
    server: http_floor.RunningServer,
    target: load.Target,
    *,
    admission: bool,
    capacity: float,
    rate: float,
    options: load.LoadOptions,
) -> OverloadRun:
    load.check_target(server.base_url, target)
    result = load.open_loop(
        server.base_url,
        target.requests(),
        rate=rate,
        duration=options.open_duration,
        arrivals=options.arrivals,
        seed=options.seed,
        timeout=options.client_timeout,
        max_connections=options.max_client_connections,
    )
    # The server is answering again, and right, once the load is gone.
    load.wait_until_idle(server.base_url, within=options.client_timeout + 30)
    load.check_target(server.base_url, target)
    run = OverloadRun(
        target=target.name,
        admission="on" if admission else "off",
        capacity=round(capacity, 1),
        offered_rate=result.offered_rate,
        goodput=result.goodput,
        goodput_share=round(result.goodput / capacity, 3) if capacity else 0.0,
        shed=result.shed,
        shed_p99_ms=result.shed_p99_ms,
        timeouts=result.timeouts,
        errors=result.error_responses + result.connection_errors,
        ok=result.ok,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        client_cpu_share=result.client_cpu_share,
        behind_schedule=result.behind_schedule,
        result=asdict(result),
    )
    behind = ", GENERATOR BEHIND SCHEDULE" if run.behind_schedule else ""
    print(
        f"  {target.path} at {rate:,.0f} req/s offered, admission {run.admission}: goodput "
        f"{run.goodput:,.1f} req/s ({run.goodput_share:.0%} of capacity), {run.ok} ok, "
        f"{run.shed} shed (p99 {run.shed_p99_ms:.1f} ms), {run.timeouts} timeouts, "
        f"{run.errors} errors; p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms; client CPU "
        f"{run.client_cpu_share:.0%}{behind}",
        flush=True,
    )
    if admission and run.ok == 0:
        raise http_floor.BenchmarkError(f"{target.path}: nothing served with admission control")
    return run


def check_health(server: http_floor.RunningServer) -> None:
    """The health check answers (it is exempt from shedding; tests flood it under load)."""
    status, _type, body = http_floor.fetch(server.base_url + "/healthz")
    if status != 200 or json.loads(body) != {"status": "ok"}:
        raise http_floor.BenchmarkError(f"/healthz answered {status}: {body[:200]!r}")


def median_kept(rounds: Sequence[load.CapacityRound]) -> float:
    return statistics.median(r.requests_per_second for r in rounds if r.kept)


def table(runs: Sequence[OverloadRun]) -> str:
    header = [
        "target",
        "admission",
        "capacity",
        "offered",
        "goodput",
        "of capacity",
        "shed",
        "shed p99",
        "timeouts",
        "p50",
        "p99",
        "client CPU",
    ]
    rows = [
        [
            run.target,
            run.admission,
            f"{run.capacity:,.0f}",
            f"{run.offered_rate:,.0f}",
            f"{run.goodput:,.1f}",
            f"{run.goodput_share:.0%}",
            str(run.shed),
            f"{run.shed_p99_ms:.1f} ms" if run.shed else "-",
            str(run.timeouts),
            f"{run.p50_ms:.1f} ms",
            f"{run.p99_ms:.1f} ms",
            f"{run.client_cpu_share:.0%}" + (" BEHIND" if run.behind_schedule else ""),
        ]
        for run in runs
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if index < 2 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(header), line(["-" * width for width in widths]), *map(line, rows)])


def verdicts(runs: Sequence[OverloadRun]) -> list[str]:
    lines = []
    for run in runs:
        if run.admission != "on":
            continue
        goodput = "met" if run.goodput_share >= GOODPUT_TARGET else "NOT met"
        shed = "met" if run.shed_p99_ms <= SHED_P99_TARGET_MS else "NOT met"
        lines.append(
            f"{run.target}: goodput {run.goodput_share:.0%} of capacity (target >= "
            f"{GOODPUT_TARGET:.0%}: {goodput}); shed p99 {run.shed_p99_ms:.1f} ms (target < "
            f"{SHED_P99_TARGET_MS:.0f} ms: {shed})"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    options = load.options_from_arguments(arguments)
    products = arguments.products or (200 if options.quick else 2000)
    kind = server_kind(arguments.server, threads=arguments.wsgi_threads)
    runs: list[OverloadRun] = []
    capacity_rounds: dict[str, list[load.CapacityRound]] = {}
    with tempfile.TemporaryDirectory(prefix="circlemart-overload-") as temporary:
        work_dir = Path(temporary)
        environment = http_floor.child_environment(
            data_dir=work_dir / "data",
            database_url=arguments.database_url,
            redis_url=arguments.redis_url,
        )
        print(f"preparing: migrate, {products} products, search index ({kind.label})", flush=True)
        # A fresh cache namespace: generation numbers of an earlier run must not meet this data.
        environment["CACHE_KEY_PREFIX"] = f"cm-overload-bench-{uuid.uuid4().hex[:8]}"
        (work_dir / "data").mkdir(parents=True, exist_ok=True)
        everything = prepare_catalog(
            environment=environment,
            work_dir=work_dir,
            products=products,
            fresh=bool(arguments.database_url),
        )
        http_floor.prepare_data(environment=environment, cwd=work_dir)
        chosen = [target for target in everything if target.name in arguments.target_names]
        servers = Servers(
            kind, workers=arguments.workers, environment=environment, work_dir=work_dir
        )
        server = servers.start(admission=True)
        try:
            check_health(server)
            capacity_rounds = capacities(server, chosen, options=options)
            capacity = {name: median_kept(rounds) for name, rounds in capacity_rounds.items()}
            runs.extend(
                overload_run(
                    server,
                    target,
                    admission=True,
                    capacity=capacity[target.name],
                    rate=capacity[target.name] * arguments.overload,
                    options=options,
                )
                for target in chosen
            )
        finally:
            server.stop()
        server = servers.start(admission=False)
        try:
            warm_up(server, chosen, options=options)
            runs.extend(
                overload_run(
                    server,
                    target,
                    admission=False,
                    capacity=capacity[target.name],
                    rate=capacity[target.name] * arguments.overload,
                    options=options,
                )
                for target in chosen
            )
        finally:
            server.stop()
    runs.sort(key=lambda run: (run.target, run.admission != "off"))
    floor = capacity["hello"]
    print()
    print(
        f"### overload: {arguments.overload:g}x capacity offered (Poisson, "
        f"{options.open_duration:g} s, client timeout {options.client_timeout:g} s), "
        f"{kind.label}, {arguments.workers} workers; /hello {floor:,.0f} req/s"
    )
    print(table(runs))
    for line in verdicts(runs):
        print(line)
    if arguments.json:
        document = {
            "schema": SCHEMA,
            "bench": "overload",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "server": kind.label,
            "workers": arguments.workers,
            "overload": arguments.overload,
            "options": asdict(options),
            "machine": {
                "python": platform.python_version(),
                "cpus": str(os.cpu_count()),
                "load_average": f"{os.getloadavg()[0]:.2f}",
                "database": "postgresql" if arguments.database_url else "sqlite",
                "cache": "redis" if arguments.redis_url else "locmem",
            },
            "floor_capacity": floor,
            "capacity": {
                name: {
                    "capacity": round(value, 1),
                    "ratio_to_floor": round(value / floor, 4) if floor else 0.0,
                    "rounds": [asdict(r) for r in capacity_rounds[name]],
                }
                for name, value in capacity.items()
            },
            "runs": [asdict(run) for run in runs],
            "targets": {"goodput_share": GOODPUT_TARGET, "shed_p99_ms": SHED_P99_TARGET_MS},
        }
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {arguments.json}")
    return 0


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"({time.monotonic() - started:.0f} s)")
    sys.exit(code)
