"""Search over HTTP on a 10,000-product catalog: the "headphones" search page (197 hits),
anonymous and signed-in, repeated and uncached, beside the `/hello` floor of the same run.

The catalog is catalog_vs_oscar.py's (same generator, same seed: "headphones" matches 197
products), loaded in bulk and indexed with `circlemart reindex`. Measured with bench/load.py:
closed-loop capacity (wrk, interleaved rounds, unbalanced rounds discarded), then open-loop
Poisson p50/p99 at 25/50/75 % of each target's capacity. Two servers, one after the other:

- "repeated": the server as configured: a repeated search is answered from the result page
  cache (the search is still logged, in batches);
- "uncached": the same server with SEARCH_PAGE_CACHE_SECONDS=0, so every request runs the
  search (the index queries, facets, page render); product card fragments stay cached, as
  they are for any query not seen before on a live shop.

Against code without the page cache (PYTHONPATH=/tmp/base/src), both servers run the search.
A --database-url names a scratch database: its contents are DELETED.

    .venv/bin/python bench/search_latency.py --quick        # smoke run (CI): checks answers
    .venv/bin/python bench/search_latency.py --database-url postgres://postgres@127.0.0.1/cm_bench \
        --redis-url redis://127.0.0.1:6379/12 --json var/bench/search.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import http_floor  # noqa: E402
import load  # noqa: E402
from catalog_vs_oscar import draw_image_pool, generate_catalog  # noqa: E402

CATALOG_SEED = 20260611  # catalog_vs_oscar's: 10,000 products, "headphones" finds 197
QUERY = "headphones"
CARD = re.compile(rb'data-testid="product-card"')
RESULT_COUNT = re.compile(rb'data-testid="result-count">(\d+) results? for')
ENGLISH = {"Accept-Language": "en"}  # the check reads the English result count

LOAD_SNIPPET = """
import sys
sys.path.insert(0, {bench_dir!r})
from catalog_vs_oscar import load_into_circlemart
load_into_circlemart({catalog!r}, {images!r}, {out!r})
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
"""
SESSION_SNIPPET = """
from django.conf import settings
from django.test import Client
from circlemart.accounts.services import user_register_with_email
user = user_register_with_email(email={email!r}, password={password!r}, nickname="bench")
client = Client()
client.force_login(user)
cookie = client.cookies[settings.SESSION_COOKIE_NAME]
print("SESSION=" + cookie.key + "=" + cookie.value)
"""


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    load.add_common_arguments(parser)
    parser.add_argument("--products", type=int, help="catalog size [10000; --quick 400]")
    parser.add_argument("--query", default=QUERY, help=f"the search [{QUERY}]")
    parser.add_argument("--only", choices=["repeated", "uncached"], help="measure one server only")
    return parser.parse_args(argv)


def expected_hits(catalog: Any, query: str) -> int:
    folded = query.casefold()
    return sum(
        1
        for product in catalog.products
        if folded in product.title.casefold() or folded in product.title_en.casefold()
    )


def search_check(hits: int) -> Any:
    def check(body: bytes) -> bool:
        found = RESULT_COUNT.search(body)
        if found is None or int(found.group(1)) != hits:
            raise http_floor.BenchmarkError(
                f"expected {hits} results, the page says {found.group(1) if found else None}"
            )
        if len(CARD.findall(body)) != min(hits, 20):
            raise http_floor.BenchmarkError("the page does not show a full grid of cards")
        return True

    return check


def prepare(
    arguments: argparse.Namespace, work: Path, products: int
) -> tuple[dict[str, str], str, int]:
    """Migrate, load and index the catalog; returns the environment, a signed-in session
    cookie and the number of hits the search must show."""
    environment = http_floor.child_environment(
        data_dir=work / "data", database_url=arguments.database_url, redis_url=arguments.redis_url
    )
    # A fresh cache namespace: generation numbers of an earlier run must not meet this data.
    environment["CACHE_KEY_PREFIX"] = f"cm-search-bench-{uuid.uuid4().hex[:8]}"
    (work / "data").mkdir(parents=True, exist_ok=True)
    http_floor.circlemart(["migrate", "--noinput"], environment=environment, cwd=work)
    if arguments.database_url:  # a scratch database: start from nothing
        http_floor.circlemart(["flush", "--noinput"], environment=environment, cwd=work)
    http_floor.circlemart(["collectstatic", "--noinput"], environment=environment, cwd=work)
    catalog = generate_catalog(seed=CATALOG_SEED, product_count=products)
    catalog_path = work / "catalog.json"
    catalog_path.write_text(catalog.to_json())
    draw_image_pool(work / "images", seed=CATALOG_SEED)
    print(f"loading {products:,} products …", flush=True)
    snippet = LOAD_SNIPPET.format(
        bench_dir=str(BENCH_DIR),
        catalog=str(catalog_path),
        images=str(work / "images"),
        out=str(work / "ids.json"),
    )
    http_floor.circlemart(["shell", "-c", snippet], environment=environment, cwd=work)
    print("indexing …", flush=True)
    http_floor.circlemart(["reindex"], environment=environment, cwd=work)
    session = http_floor.circlemart(
        [
            "shell",
            "-c",
            SESSION_SNIPPET.format(
                email=f"bench-{uuid.uuid4().hex[:12]}@example.com",
                password=http_floor.BENCH_PASSWORD,
            ),
        ],
        environment=environment,
        cwd=work,
    )
    cookie = next(
        (
            line.removeprefix("SESSION=").strip()
            for line in session.stdout.splitlines()
            if line.startswith("SESSION=")
        ),
        None,
    )
    if not cookie:
        raise http_floor.BenchmarkError(f"no session cookie:\n{session.stdout}")
    return environment, cookie, expected_hits(catalog, arguments.query)


def measure_server(
    label: str,
    arguments: argparse.Namespace,
    environment: dict[str, str],
    work: Path,
    targets: list[load.Target],
) -> load.Report:
    kind = load.server_kind(arguments)
    options = load.options_from_arguments(arguments)
    print(f"== {label}: {kind.label}", flush=True)
    server = http_floor.RunningServer(
        kind, workers=arguments.workers, environment=environment, work_dir=work
    )
    try:
        server.wait_until_ready()
        return load.measure(
            server.base_url,
            targets,
            options=options,
            server=server,
            bench=f"search-{label}",
            server_label=kind.label,
            machine=http_floor.machine_facts(
                database_url=arguments.database_url, redis_url=arguments.redis_url
            ),
        )
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    products = arguments.products or (400 if arguments.quick else 10_000)
    with tempfile.TemporaryDirectory(prefix="cm-search-bench-") as scratch:
        work = Path(scratch)
        environment, cookie, hits = prepare(arguments, work, products)
        print(f"search {arguments.query!r}: {hits} hits on {products:,} products", flush=True)
        path = f"/search/?q={arguments.query}"
        check = search_check(hits)

        def targets(suffix: str) -> list[load.Target]:
            return [
                load.Target(f"search{suffix}", path, headers=ENGLISH, check=check),
                load.Target(
                    f"search signed-in{suffix}",
                    path,
                    headers={**ENGLISH, "Cookie": cookie},
                    check=check,
                ),
            ]

        reports: dict[str, load.Report] = {}
        if arguments.only in (None, "repeated"):
            reports["repeated"] = measure_server(
                "repeated", arguments, environment, work, targets(" (repeated)")
            )
            load.print_report(reports["repeated"])
        if arguments.only in (None, "uncached"):
            uncached = {**environment, "SEARCH_PAGE_CACHE_SECONDS": "0"}
            reports["uncached"] = measure_server(
                "uncached", arguments, uncached, work, targets(" (uncached)")
            )
            load.print_report(reports["uncached"])
        if arguments.json:
            document = {
                "bench": "search",
                "query": arguments.query,
                "hits": hits,
                "products": products,
                "servers": {name: load.report_document(report) for name, report in reports.items()},
            }
            arguments.json.parent.mkdir(parents=True, exist_ok=True)
            arguments.json.write_text(json.dumps(document, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
