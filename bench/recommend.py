"""Recommendation serving benchmark: a for-you list in-process and over HTTP, beside baselines
measured in the same run.

Builds a synthetic shop in a fresh data directory (demo shoppers and products by the demo
seeders; a heavy-tailed browsing and buying history drawn per shopper's taste), trains a model
on it with the production pipeline (algorithms.pipeline.train_arrays), saves and activates it
through the version services, then measures:

  (a) in-process, in a fresh process warmed on other shoppers first:
      selectors.surfaces.for_you for N shoppers (first list of each: their candidate cache is
      cold; then again: cached), the non-personalised list of an anonymous visitor, and the
      bare catalog product_cards call for the same 20 products (what any product grid pays);
  (b) HTTP, on the server `circlemart serve` runs (gunicorn gthread workers) with
      bench/load.py: /hello (the bare-view floor), GET /api/v1/recommend/for-you (bearer
      tokens of many shoppers, rotated) and the home page's for-you fragment /rec/for-you/
      (their session cookies, rotated): closed-loop capacity in interleaved rounds (wrk,
      unbalanced rounds discarded), then open-loop Poisson p50/p99 at 25/50/75 % of each
      one's capacity.

Targets (issue 17): for-you p99 < 20 ms in-process; for-you req/s >= 0.5x the floor's.

    .venv/bin/python bench/recommend.py                 # 3,000 shoppers, 3,000 products
    .venv/bin/python bench/recommend.py --quick         # CI smoke: tiny shop, no verdict
    .venv/bin/python bench/recommend.py --database-url postgres://postgres@127.0.0.1/rec_bench \\
        --redis-url redis://127.0.0.1:6379/8 --json var/recommend-bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import http_floor  # noqa: E402  (a sibling script, not a package)
import load  # noqa: E402

API_PATH = "/api/v1/recommend/for-you?limit=20"
FRAGMENT_PATH = "/rec/for-you/"
LIST_LENGTH = 20
TARGET_P99_MS = 20.0
TARGET_FLOOR_RATIO = 0.5
DAY = 86_400
# A rotating header per request: each line of the file is "Name: value".
LUA = """
headers = {}
for line in io.lines("%(headers)s") do headers[#headers + 1] = line end
counter = 0
request = function()
  counter = counter + 1
  local name, value = headers[(counter %% #headers) + 1]:match("^([^:]+):%%s*(.*)$")
  return wrk.format("GET", "%(path)s", {[name] = value})
end
"""


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny shop, short runs, no verdict")
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument(
        "--events-per-user", type=int, default=30, help="mean interactions per shopper [30]"
    )
    parser.add_argument("--measured", type=int, default=500, help="shoppers timed in-process")
    parser.add_argument("--warmup-users", type=int, default=100)
    parser.add_argument("--readers", type=int, default=200, help="shoppers wrk rotates")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run [10]")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians [3]")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--open-duration", type=float, default=10.0, help="seconds per open-loop point [10]"
    )
    parser.add_argument(
        "--server",
        choices=["wsgi", "asgi"],
        default=load.serve_default_server(),
        help="what `circlemart serve` runs by default unless told [%(default)s]",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers [2]")
    parser.add_argument("--skip-http", action="store_true", help="only the in-process part")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or None,
        help="an empty database (default: $DATABASE_URL, else SQLite in the temporary dir)",
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or None)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.users, arguments.products = (
            min(arguments.users, 300),
            min(arguments.products, 400),
        )
        arguments.events_per_user = min(arguments.events_per_user, 15)
        arguments.measured, arguments.warmup_users = min(arguments.measured, 100), 20
        arguments.readers = min(arguments.readers, 50)
        arguments.duration, arguments.rounds, arguments.connections = 2, 1, 8
        arguments.open_duration = min(arguments.open_duration, 1.0)
    return arguments


# --- Inside Django: the shop, the model, the in-process timings ----------------------------------


def _django() -> None:
    import logging

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circlemart.config.settings")
    django.setup()
    logging.getLogger("jieba").setLevel(logging.WARNING)  # its dictionary-loading chatter


def synthetic_history(
    *,
    rng: random.Random,
    user_ids: Sequence[int],
    products_by_category: dict[int, list[int]],
    events_per_user: int,
    now: int,
) -> dict[str, list[int] | list[float] | list[bool]]:
    """Each shopper likes one to three categories: most of their views, cart adds and
    purchases fall there, on a few popular products more than on the long tail."""
    categories = sorted(products_by_category)
    everything = [product for category in categories for product in products_by_category[category]]
    columns: dict[str, list[Any]] = {
        "users": [],
        "items": [],
        "weights": [],
        "timestamps": [],
        "baskets": [],
        "is_purchase": [],
    }
    basket = 0

    def popular(products: Sequence[int]) -> int:
        # Zipf-like: the product at rank r is drawn about 1/(r+1) as often as the first.
        return products[min(int(rng.paretovariate(1.2)) - 1, len(products) - 1)]

    for user in user_ids:
        tastes = rng.sample(categories, k=min(len(categories), rng.randint(1, 3)))
        for _event in range(max(1, int(rng.expovariate(1 / events_per_user)))):
            in_taste = rng.random() < 0.8
            pool = products_by_category[rng.choice(tastes)] if in_taste else everything
            kind = rng.random()
            is_purchase = kind > 0.85
            if is_purchase:
                basket += 1
            columns["users"].append(user)
            columns["items"].append(popular(pool))
            columns["weights"].append(5.0 if is_purchase else 3.0 if kind > 0.7 else 1.0)
            columns["timestamps"].append(now - rng.randint(0, 90 * DAY))
            columns["baskets"].append(basket if is_purchase else -1)
            columns["is_purchase"].append(is_purchase)
    return columns


def build_world(
    *,
    users: int,
    products: int,
    events_per_user: int,
    seed: int,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Shoppers, products, a trained and active model. Returns the shoppers' ids and timings."""
    import numpy as np

    from circlemart.accounts.seed import seed_users
    from circlemart.catalog.models import Product
    from circlemart.catalog.seed import seed_products
    from circlemart.recommend.algorithms.data import Interactions
    from circlemart.recommend.algorithms.pipeline import train_arrays
    from circlemart.recommend.bundle import Bundle, bundle_save
    from circlemart.recommend.models import ModelVersion
    from circlemart.recommend.services import versions as version_services
    from circlemart.recommend.training.sources import item_texts

    rng = random.Random(seed)
    started = time.perf_counter()
    user_ids = seed_users(rng=random.Random(seed), count=users, progress=False)
    seed_products(rng=random.Random(seed + 1), count=products, progress=False)
    seed_seconds = time.perf_counter() - started
    progress(f"seeded {len(user_ids)} shoppers and {products} products in {seed_seconds:.0f} s")

    products_by_category: dict[int, list[int]] = {}
    rows = Product.objects.filter(status=Product.Status.ON_SALE).values_list("pk", "category_id")
    for product_id, category_id in rows.order_by("pk"):
        products_by_category.setdefault(category_id, []).append(product_id)
    now = int(time.time())
    history = synthetic_history(
        rng=rng,
        user_ids=user_ids,
        products_by_category=products_by_category,
        events_per_user=events_per_user,
        now=now,
    )
    all_items = np.asarray(sorted(p for ps in products_by_category.values() for p in ps))
    data = Interactions.from_records(
        users=np.asarray(history["users"]),
        items=np.asarray(history["items"]),
        weights=np.asarray(history["weights"]),
        timestamps=np.asarray(history["timestamps"]),
        baskets=np.asarray(history["baskets"]),
        is_purchase=np.asarray(history["is_purchase"]),
        all_items=all_items,
    )
    started = time.perf_counter()
    trained = train_arrays(data, item_texts=item_texts(data.items), now=now)
    train_seconds = time.perf_counter() - started
    progress(f"trained on {len(data):,} interactions in {train_seconds:.1f} s")

    catalogue_id = version_services.catalogue_identity()
    label = f"bench-{seed}-{now}"
    fields = {
        name: getattr(trained, name)
        for name in Bundle.__dataclass_fields__
        if hasattr(trained, name)
    }
    artifact, sha256 = bundle_save(
        Bundle(version_id=0, label=label, catalogue_id=catalogue_id, **fields),
        _model_directory(),
    )
    version = ModelVersion.objects.create(
        label=label,
        kind="bench",
        status=ModelVersion.Status.READY,
        artifact=artifact,
        sha256=sha256,
        catalogue_id=catalogue_id,
        metrics={key: value for key, value in trained.metrics.items() if np.isfinite(value)},
    )
    version_services.version_activate(version_id=version.pk, actor_id=None, reason="bench")
    return {
        "users": user_ids,
        "modelled_users": [int(user) for user in data.users],
        "products": len(all_items),
        "interactions": len(data),
        "seed_seconds": seed_seconds,
        "train_seconds": train_seconds,
        "version_id": version.pk,
    }


def _model_directory() -> Path:
    from django.conf import settings

    return Path(settings.RECOMMEND_MODEL_DIR)


def reader_credentials(user_ids: Sequence[int]) -> dict[str, list[str]]:
    """For each reader: an API bearer token and a signed-in session cookie (the home page's)."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from circlemart.accounts.services import token_pair_issue

    people = get_user_model().objects.in_bulk(list(user_ids))
    tokens, cookies = [], []
    for user_id in user_ids:
        user = people[user_id]
        tokens.append(f"Authorization: Bearer {token_pair_issue(user=user).access_token}")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"Cookie: {settings.SESSION_COOKIE_NAME}={session.session_key}")
    return {"tokens": tokens, "cookies": cookies}


def _percentiles(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "p50_ms": at(0.50),
        "p90_ms": at(0.90),
        "p99_ms": at(0.99),
        "max_ms": ordered[-1],
        "mean_ms": statistics.fmean(ordered),
    }


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def measure_in_process(
    *, measured: Sequence[int], warmup: Sequence[int], anonymous_runs: int = 200
) -> dict[str, Any]:
    """Time for_you for each measured shopper (first list, then cached), anonymous lists and
    the bare product_cards call for the same products. Warmed on other shoppers first."""
    from circlemart.catalog import selectors as catalog_selectors
    from circlemart.recommend.selectors import surfaces

    def for_you(user_id: int | None) -> Any:
        session = f"bench-{user_id}" if user_id is not None else ""
        return surfaces.for_you(viewer_id=user_id, session_key=session, limit=LIST_LENGTH)

    for user_id in warmup:
        for_you(user_id)
    first, lists = [], []
    for user_id in measured:
        elapsed, served = _timed(lambda user_id=user_id: for_you(user_id))
        first.append(elapsed)
        lists.append(served)
    cached = [_timed(lambda user_id=user_id: for_you(user_id))[0] for user_id in measured]
    anonymous = [_timed(lambda: for_you(None))[0] for _run in range(anonymous_runs)]
    cards = [
        _timed(
            lambda ids=[item.object_id for item in served.items]: catalog_selectors.product_cards(
                ids
            )
        )[0]
        for served in lists
    ]
    return {
        "for_you_first": _percentiles(first),
        "for_you_cached": _percentiles(cached),
        "for_you_anonymous": _percentiles(anonymous),
        "product_cards": _percentiles(cards),
        "personalised_share": sum(served.is_personalised for served in lists) / len(lists),
        "mean_items": statistics.fmean(len(served.items) for served in lists),
    }


def worker(arguments: argparse.Namespace) -> int:
    mode, out = arguments.worker.split(":", 1)
    _django()
    if mode == "seed":
        world = build_world(
            users=arguments.users,
            products=arguments.products,
            events_per_user=arguments.events_per_user,
            seed=arguments.seed,
        )
        readers = random.Random(arguments.seed).sample(
            world["modelled_users"], k=min(arguments.readers, len(world["modelled_users"]))
        )
        world.update(reader_credentials(readers))
        Path(out).write_text(json.dumps(world))
    else:  # "time": a fresh process, so the model loads and warms here like a new worker's
        world = json.loads(Path(out).read_text())
        rng = random.Random(arguments.seed + 1)
        modelled = list(world["modelled_users"])
        rng.shuffle(modelled)
        warmup = modelled[: arguments.warmup_users]
        measured = modelled[arguments.warmup_users : arguments.warmup_users + arguments.measured]
        figures = measure_in_process(measured=measured, warmup=warmup)
        Path(out).with_suffix(".timing.json").write_text(json.dumps(figures))
    return 0


# --- Outside: processes, server, wrk ------------------------------------------------------------


def run_wrk_rotating(
    base_url: str, path: str, headers_file: Path, *, seconds: int, connections: int
) -> http_floor.WrkResult:
    script = headers_file.with_suffix(".lua")
    script.write_text(LUA % {"headers": headers_file, "path": path})
    command = [
        http_floor.WRK,
        f"--threads={http_floor.WRK_THREADS}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",  # a slow answer is latency to report, not a socket error
        "--latency",
        "--script",
        str(script),
        base_url + path,
    ]
    import subprocess

    completed = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    if completed.returncode != 0:
        raise http_floor.BenchmarkError(f"wrk exited {completed.returncode}:\n{completed.stderr}")
    result = http_floor.parse_wrk(completed.stdout)
    if result.error_responses or result.socket_errors:
        raise http_floor.BenchmarkError(f"{path}: errors under load:\n{completed.stdout}")
    return result


def wait_until_idle(base_url: str, *, within: float = 20.0) -> None:
    """After a run, wrk leaves requests queued in the workers: wait until /hello answers
    promptly again, so the next run does not pay for the last one's backlog."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        started = time.perf_counter()
        status, _type, _body = http_floor.fetch(base_url + "/hello")
        if status == 200 and time.perf_counter() - started < 0.1:
            return
        time.sleep(0.5)


def _check(base_url: str, path: str, header: str, *, json_body: bool) -> None:
    name, value = header.split(":", 1)
    status, content_type, body = http_floor.fetch(base_url + path, {name: value.strip()})
    if status != 200:
        raise http_floor.BenchmarkError(f"{path} answered {status}: {body[:300]!r}")
    if json_body:
        answer = json.loads(body)
        if answer.get("model_version") is None:
            raise http_floor.BenchmarkError(f"{path} served no model: {answer}")
    elif not content_type.startswith("text/html"):
        raise http_floor.BenchmarkError(f"{path} answered {content_type!r}")


def _header(line: str) -> dict[str, str]:
    name, value = line.split(":", 1)
    return {name: value.strip()}


def _serves_a_model(body: bytes) -> bool:
    return json.loads(body).get("model_version") is not None


def measure_http(
    arguments: argparse.Namespace, environment: dict[str, str], work: Path, world: dict[str, Any]
) -> dict[str, Any]:
    kind = load.server_kind(argparse.Namespace(server=arguments.server, wsgi_threads=4))
    server = http_floor.RunningServer(
        kind, workers=arguments.workers, environment=environment, work_dir=work
    )
    targets = [
        load.Target(
            "for-you API",
            API_PATH,
            check=_serves_a_model,
            variants=[load.Request(API_PATH, headers=_header(t)) for t in world["tokens"]],
        ),
        load.Target(
            "for-you fragment",
            FRAGMENT_PATH,
            variants=[load.Request(FRAGMENT_PATH, headers=_header(c)) for c in world["cookies"]],
        ),
    ]
    options = load.LoadOptions(
        rounds=arguments.rounds,
        duration=arguments.duration,
        open_duration=arguments.open_duration,
        # Every worker loads the model and fills its caches before anything is measured.
        warmup=2,
        connections=arguments.connections,
        seed=arguments.seed,
        quick=arguments.quick,
    )
    try:
        server.wait_until_ready()
        _check(server.base_url, API_PATH, world["tokens"][0], json_body=True)
        _check(server.base_url, FRAGMENT_PATH, world["cookies"][0], json_body=False)
        measured = load.measure(
            server.base_url,
            targets,
            options=options,
            server=server,
            bench="recommend",
            server_label=kind.label,
        )
    finally:
        server.stop()
    load.print_report(measured)
    figures: dict[str, Any] = {}
    for target in measured.all_targets():
        at_half = next((p.result for p in target.open_loop if p.fraction == 0.5), None)
        figures[target.name] = {
            "requests_per_second": target.capacity,
            "p50_ms": target.wrk_p50_ms,
            "p99_ms": target.wrk_p99_ms,
            "requests": sum(r.requests for r in target.rounds if r.kept),
            "ratio_to_floor": target.ratio_to_floor,
            "open_loop_p50_ms_at_half": at_half.p50_ms if at_half else None,
            "open_loop_p99_ms_at_half": at_half.p99_ms if at_half else None,
        }
    return {"http": figures, "load": load.report_document(measured)}


def report(arguments: argparse.Namespace, world: dict[str, Any], figures: dict[str, Any]) -> str:
    timing, http = figures["in_process"], figures.get("http")
    lines = [
        "",
        f"### recommendations: {len(world['users']):,} shoppers, {world['products']:,} products, "
        f"{world['interactions']:,} interactions (model trained in {world['train_seconds']:.1f} s)",
        "",
        "(a) in-process, warm process",
        f"{'call':<44} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}",
    ]
    rows = (
        ("for_you, first list of each shopper", "for_you_first"),
        ("for_you, again (viewer cache warm)", "for_you_cached"),
        ("for_you, anonymous (non-personalised)", "for_you_anonymous"),
        ("product_cards of the same 20 (baseline)", "product_cards"),
    )
    for label, key in rows:
        row = timing[key]
        lines.append(
            f"{label:<44} {row['p50_ms']:>8.2f} {row['p90_ms']:>8.2f} "
            f"{row['p99_ms']:>8.2f} {row['max_ms']:>8.2f}"
        )
    lines.append(
        f"personalised lists: {timing['personalised_share']:.0%}, "
        f"items per list: {timing['mean_items']:.1f}"
    )
    if http:
        lines += [
            "",
            f"(b) HTTP: {arguments.server}, {arguments.workers} workers, "
            f"wrk {arguments.connections} connections, "
            f"{arguments.rounds} x {arguments.duration} s interleaved (medians); "
            "open loop at 50 % of each one's capacity",
            f"{'endpoint':<32} {'req/s':>8} {'÷ floor':>8} {'p50 ms @50%':>12} {'p99 ms @50%':>12}",
        ]
        for name, row in http.items():
            p50, p99 = row["open_loop_p50_ms_at_half"], row["open_loop_p99_ms_at_half"]
            lines.append(
                f"{name:<32} {row['requests_per_second']:>8,.0f} {row['ratio_to_floor']:>8.2f} "
                f"{p50 if p50 is not None else float('nan'):>12.1f} "
                f"{p99 if p99 is not None else float('nan'):>12.1f}"
            )
    lines.append("")
    if arguments.quick:
        lines.append("--quick: a smoke run; the targets are not judged on a tiny shop.")
        return "\n".join(lines)
    p99 = timing["for_you_first"]["p99_ms"]
    lines.append(
        f"target for_you p99 < {TARGET_P99_MS:.0f} ms in-process: {p99:.1f} ms "
        f"({'met' if p99 < TARGET_P99_MS else 'NOT met'})"
    )
    if http:
        for name in ("for-you API", "for-you fragment"):
            ratio = http[name]["ratio_to_floor"]
            verdict = "met" if ratio >= TARGET_FLOOR_RATIO else "NOT met"
            lines.append(
                f"target {name} >= {TARGET_FLOOR_RATIO}x floor req/s: {ratio:.2f}x ({verdict})"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.worker:
        return worker(arguments)
    import shutil
    import subprocess

    if not arguments.skip_http and shutil.which(http_floor.WRK) is None:
        print(
            "wrk is not installed: `apt-get install -y wrk`, or use --skip-http.", file=sys.stderr
        )
        return 2
    http_failure = ""
    facts = http_floor.machine_facts(
        database_url=arguments.database_url, redis_url=arguments.redis_url
    )
    print("machine: " + ", ".join(f"{name} {value}" for name, value in facts.items()))
    try:
        with tempfile.TemporaryDirectory(prefix="cm-recommend-bench-") as scratch:
            work = Path(scratch)
            environment = http_floor.child_environment(
                data_dir=work / "data",
                database_url=arguments.database_url,
                redis_url=arguments.redis_url,
            )
            environment["DJANGO_SETTINGS_MODULE"] = "circlemart.config.settings"
            print("setup: migrate, collectstatic", flush=True)
            http_floor.circlemart(["migrate", "--noinput"], environment=environment, cwd=ROOT)
            if not arguments.skip_http:
                http_floor.circlemart(
                    ["collectstatic", "--noinput"], environment=environment, cwd=ROOT
                )
            world_file = work / "world.json"
            forwarded = [
                "--users", str(arguments.users), "--products", str(arguments.products),
                "--events-per-user", str(arguments.events_per_user),
                "--measured", str(arguments.measured),
                "--warmup-users", str(arguments.warmup_users),
                "--readers", str(arguments.readers), "--seed", str(arguments.seed),
            ]  # fmt: skip
            for mode in ("seed", "time"):
                subprocess.run(
                    [sys.executable, __file__, *forwarded, "--worker", f"{mode}:{world_file}"],
                    env=environment,
                    cwd=ROOT,
                    check=True,
                )
            world = json.loads(world_file.read_text())
            figures: dict[str, Any] = {
                "in_process": json.loads(world_file.with_suffix(".timing.json").read_text())
            }
            if not arguments.skip_http:
                print("HTTP: the server `circlemart serve` runs, bench/load.py", flush=True)
                try:
                    figures.update(measure_http(arguments, environment, work, world))
                except http_floor.BenchmarkError as error:
                    http_failure = str(error)
    except (http_floor.BenchmarkError, subprocess.CalledProcessError) as error:
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        return 1
    print(report(arguments, world, figures))
    if http_failure:
        print(f"\nHTTP PART FAILED: {http_failure}", file=sys.stderr)
    if arguments.json:
        summary = {
            key: value
            for key, value in world.items()
            if key not in ("tokens", "cookies", "users", "modelled_users")
        }
        document = {"machine": facts, "world": summary, **figures, "quick": arguments.quick}
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(document, indent=2) + "\n")
        print(f"wrote {arguments.json}")
    return 1 if http_failure else 0


if __name__ == "__main__":
    sys.exit(main())
