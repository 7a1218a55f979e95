"""Following-feed benchmark: the Redis fan-out path beside the SQL pull and the /hello floor.

Seeds a power-law world (users, a few celebrities followed by most users, an ordinary long
tail; notes by bulk insert, some with images, some liked by their readers), then runs the
server `circlemart serve` runs by default, once per path, and measures each with the shared
harness (bench/load.py): closed-loop capacity in interleaved rounds beside `/hello`, then
open-loop p50/p99 at 25/50/75 % of the feed's own capacity, Poisson arrivals.

  /hello                                   the bare-view floor of the same run
  /api/v1/social/feed/following (redis)    SOCIAL_FEED_BACKEND=auto with REDIS_URL
  /api/v1/social/feed/following (sql)      SOCIAL_FEED_BACKEND=sql, same data, same Redis

The load rotates through many readers' bearer tokens, so Redis serves many feeds, not one
hot key; every reader's first page is fetched from both paths and compared first. Last, it
times one post by a celebrity and one by an ordinary author: the request-path write
(note_create) and the fan-out task's work (note_fan_out).

    createdb -h 127.0.0.1 -U postgres feed_bench
    .venv/bin/python bench/feed.py --database-url postgres://postgres@127.0.0.1/feed_bench \\
        --redis-url redis://127.0.0.1:6379/6 --json var/bench/feed.json   # 20,000 users
    .venv/bin/python bench/feed.py ... --quick       # CI smoke run: a tiny world, answers checked
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from itertools import accumulate
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import http_floor  # noqa: E402  (a sibling script, not a package)
import load  # noqa: E402

FEED_PATH = "/api/v1/social/feed/following?limit=20"
QUICK_WORLD = {
    "users": 300,
    "notes": 3000,
    "stars": 2,
    "star_followers": 200,
    "celebrity_threshold": 100,
    "readers": 20,
}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    load.add_common_arguments(parser)
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--notes", type=int, default=200000)
    parser.add_argument("--stars", type=int, default=5, help="celebrity authors")
    parser.add_argument(
        "--star-followers",
        type=int,
        default=0,
        help="followers of each celebrity (default: 90%% of users, at most 50,000)",
    )
    parser.add_argument("--celebrity-threshold", type=int, default=10000)
    parser.add_argument("--readers", type=int, default=200, help="distinct tokens the load rotates")
    parser.add_argument("--world-seed", type=int, default=11)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-input", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.quick:
        for name, value in QUICK_WORLD.items():
            setattr(arguments, name, value)
    return arguments


# --- Worker: runs inside Django (seeding and the post-cost measurements) --------------------


def _django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circlemart.config.settings")
    django.setup()


def seed_world(args: argparse.Namespace, out: Path) -> None:
    _django()
    from datetime import timedelta

    from circlemart.accounts.seed import seed_users
    from circlemart.accounts.services import token_pair_issue
    from circlemart.core import clock
    from circlemart.social.models import Note
    from circlemart.social.seed import power_law_edges
    from circlemart.social.services import follows_bulk_insert, graph_counters_rebuild
    from circlemart.social.services.hotness import hot_score

    rng = random.Random(args.world_seed)
    started = time.perf_counter()
    user_ids = seed_users(rng=rng, count=args.users, progress=False)
    users_seconds = time.perf_counter() - started
    stars = user_ids[: args.stars]
    star_followers = args.star_followers or min(50000, int(len(user_ids) * 0.9))
    star_followers = min(star_followers, len(user_ids) - 1)
    edges = power_law_edges(rng=rng, user_ids=user_ids)
    for star in stars:
        fans = rng.sample([user for user in user_ids if user != star], k=star_followers)
        edges += [(fan, star) for fan in fans]
    started = time.perf_counter()
    for start in range(0, len(edges), 20000):
        follows_bulk_insert(edges[start : start + 20000], batch_size=5000, recount=False)
    graph_counters_rebuild(user_ids)
    graph_seconds = time.perf_counter() - started
    # Activity is heavy-tailed too: stars post often, most users rarely.
    authors = stars * 20 + user_ids
    weights = [5.0] * (len(stars) * 20) + [1.0 / (rank + 1) ** 0.6 for rank in range(len(user_ids))]
    cumulative = list(accumulate(weights))
    now = clock.now()
    started = time.perf_counter()
    batch: list[Note] = []
    for index in range(args.notes):
        published = now - timedelta(seconds=(args.notes - index) * 3)  # distinct, increasing
        batch.append(
            Note(
                author_id=rng.choices(authors, cum_weights=cumulative, k=1)[0],
                title=f"bench note {index}",
                text=f"bench note {index} #bench",
                visibility="public" if index % 10 else "followers",
                status=Note.Status.PUBLISHED,
                published_at=published,
                went_live_at=published,
                hot_score=hot_score(engagement=index % 50, published_at=published),
            )
        )
        if len(batch) >= 5000:
            Note.objects.bulk_create(batch)
            batch = []
    Note.objects.bulk_create(batch)
    # Cards carry covers and the reader's likes: every fifth note has two pictures (rows
    # only: the files are not needed to answer a feed), readers like some recent notes.
    from circlemart.social.models import NoteImage, NoteLike

    note_ids = list(Note.objects.order_by("-id").values_list("id", flat=True)[: args.notes])
    NoteImage.objects.bulk_create(
        [
            NoteImage(
                note_id=note_id,
                position=position,
                image=f"notes/bench/{note_id}-{position}.webp",
                thumbnail=f"notes/bench/{note_id}-{position}-thumb.webp",
                width=1080,
                height=1440,
            )
            for note_id in note_ids[::5]
            for position in range(2)
        ],
        batch_size=5000,
    )
    from django.db import connection

    with connection.cursor() as cursor:  # fresh planner statistics after the bulk load
        cursor.execute("ANALYZE")
    notes_seconds = time.perf_counter() - started
    readers = rng.sample(user_ids[args.stars :], k=min(args.readers, len(user_ids) - args.stars))
    recent = note_ids[:2000]
    NoteLike.objects.bulk_create(
        [
            NoteLike(user_id=reader, note_id=note_id)
            for reader in readers
            for note_id in recent[::7]
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.in_bulk(readers)
    tokens = [token_pair_issue(user=people[reader]).access_token for reader in readers]
    # The ordinary author: a non-celebrity at the 99th percentile of followers (a busy one).
    in_degree = Counter(followee for _, followee in edges if followee not in stars)
    ranked = sorted(in_degree.items(), key=lambda item: item[1])
    ordinary = ranked[int(len(ranked) * 0.99)][0]
    out.write_text(
        json.dumps(
            {
                "users": len(user_ids),
                "edges": len(edges),
                "notes": args.notes,
                "stars": stars,
                "star_followers": star_followers,
                "ordinary": ordinary,
                "tokens": tokens,
                "seconds": {
                    "users": users_seconds,
                    "graph": graph_seconds,
                    "notes": notes_seconds,
                },
            }
        )
    )


def post_cost(args: argparse.Namespace, out: Path) -> None:
    """Time one post (request path) and its fan-out task, for a celebrity and an ordinary
    author. The worker is not eager: the fan-out is timed by calling the task's service."""
    _django()
    from circlemart.social import selectors, services
    from circlemart.social.contracts import NoteInput

    world = json.loads(Path(args.worker_input).read_text())
    results = {}
    for label, author_id in (("celebrity", world["stars"][0]), ("ordinary", world["ordinary"])):
        writes: list[float] = []
        fanouts: list[float] = []
        sets = 0
        for attempt in range(5):
            started = time.perf_counter()
            note = services.note_create(
                author_id=author_id, data=NoteInput(text=f"{label} post {attempt} #bench")
            )
            writes.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            sets = services.note_fan_out(note.pk)
            fanouts.append((time.perf_counter() - started) * 1000)
        results[label] = {
            "author_id": author_id,
            "followers": selectors.follower_count(author_id),
            "request_ms": statistics.median(writes),
            "fan_out_ms": statistics.median(fanouts),
            "feeds_written": sets,
        }
    out.write_text(json.dumps(results))


# --- Driver ---------------------------------------------------------------------------------


def _seed_and_post_flags(args: argparse.Namespace) -> list[str]:
    return [
        "--users", str(args.users), "--notes", str(args.notes), "--stars", str(args.stars),
        "--star-followers", str(args.star_followers), "--readers", str(args.readers),
        "--world-seed", str(args.world_seed),
    ]  # fmt: skip


def _first_pages(base_url: str, tokens: list[str]) -> tuple[dict[str, list[int]], str]:
    """Every reader's first page (ids), checked: 200, JSON, one source for all."""
    pages: dict[str, list[int]] = {}
    sources = set()
    for token in tokens:
        status, _, body = http_floor.fetch(
            base_url + FEED_PATH, {"Authorization": f"Bearer {token}"}
        )
        if status != 200:
            raise http_floor.BenchmarkError(f"feed answered {status}: {body[:200]!r}")
        answer = json.loads(body)
        sources.add(answer["source"])
        pages[token] = [item["id"] for item in answer["items"]]
    if len(sources) != 1:
        raise http_floor.BenchmarkError(f"feed answered from {sorted(sources)}")
    return pages, sources.pop()


def _feed_target(tokens: list[str], source: str) -> load.Target:
    def check(body: bytes) -> bool:
        answer = json.loads(body)
        return answer["source"] == source and isinstance(answer["items"], list)

    return load.Target(
        name=f"feed/following ({source})",
        path=FEED_PATH,
        check=check,
        variants=[
            load.Request(FEED_PATH, headers={"Authorization": f"Bearer {token}"})
            for token in tokens
        ],
    )


def main() -> int:
    args = parse_arguments()
    if args.worker:
        mode, out = args.worker.split(":", 1)
        {"seed": seed_world, "post": post_cost}[mode](args, Path(out))
        return 0
    options = load.options_from_arguments(args)
    kind = load.server_kind(args)
    backends = ["redis", "sql"] if args.redis_url else ["sql"]
    with tempfile.TemporaryDirectory(prefix="cm-feed-bench-") as scratch:
        work = Path(scratch)
        environment = http_floor.child_environment(
            data_dir=work, database_url=args.database_url, redis_url=args.redis_url
        )
        environment["SOCIAL_CELEBRITY_FOLLOWERS"] = str(args.celebrity_threshold)
        environment["DJANGO_SETTINGS_MODULE"] = "circlemart.config.settings"
        http_floor.circlemart(["migrate", "--noinput"], environment=environment, cwd=ROOT)
        http_floor.circlemart(["collectstatic", "--noinput"], environment=environment, cwd=ROOT)
        if args.redis_url:
            subprocess.run(
                ["redis-cli", "-u", args.redis_url, "flushdb"], check=True, capture_output=True
            )
        world_file = work / "world.json"
        print(f"seeding {args.users} users, {args.notes} notes …", flush=True)
        started = time.perf_counter()
        base = [sys.executable, __file__]
        if args.database_url:
            base += ["--database-url", args.database_url]
        flags = _seed_and_post_flags(args)
        subprocess.run(
            [*base, *flags, "--worker", f"seed:{world_file}"], env=environment, check=True, cwd=ROOT
        )
        world = json.loads(world_file.read_text())
        print(
            f"seeded in {time.perf_counter() - started:.0f} s: {world['users']} users, "
            f"{world['edges']} follows ({args.stars} celebrities × {world['star_followers']} "
            f"followers), {world['notes']} notes; seconds {world['seconds']}",
            flush=True,
        )
        tokens: list[str] = world["tokens"]
        results: dict[str, Any] = {"world": {k: v for k, v in world.items() if k != "tokens"}}
        reports: dict[str, load.Report] = {}
        first_pages: dict[str, dict[str, list[int]]] = {}
        for backend in backends:
            env = dict(environment, SOCIAL_FEED_BACKEND="auto" if backend == "redis" else "sql")
            server = http_floor.RunningServer(
                kind, workers=args.workers, environment=env, work_dir=work
            )
            try:
                server.wait_until_ready()
                # Every reader once (builds their Redis set), timed, then compared across paths.
                warm_started = time.perf_counter()
                first_pages[backend], source = _first_pages(server.base_url, tokens)
                first_read_ms = (time.perf_counter() - warm_started) * 1000 / len(tokens)
                if source != backend:
                    raise http_floor.BenchmarkError(f"{backend} run answered from {source}")
                reports[backend] = load.measure(
                    server.base_url,
                    [_feed_target(tokens, backend)],
                    options=options,
                    server=server,
                    bench=f"feed-{backend}",
                    server_label=kind.label,
                    machine={"backend": backend},
                )
            finally:
                server.stop()
            load.print_report(reports[backend])
            results[backend] = {
                "report": load.report_document(reports[backend]),
                "first_read_ms": first_read_ms,
            }
        if len(first_pages) == 2 and first_pages["redis"] != first_pages["sql"]:
            differing = sum(
                first_pages["redis"][token] != first_pages["sql"][token] for token in tokens
            )
            raise http_floor.BenchmarkError(
                f"the Redis and SQL paths disagree on {differing} readers' first page"
            )
        post_file = work / "post.json"
        post_env = dict(environment, SOCIAL_FEED_BACKEND="auto", CELERY_TASK_ALWAYS_EAGER="0")
        subprocess.run(
            [*base, *flags, "--worker", f"post:{post_file}", "--worker-input", str(world_file)],
            env=post_env,
            check=True,
            cwd=ROOT,
        )
        results["post"] = json.loads(post_file.read_text())
    print_results(results, reports)
    if args.json:
        document = {
            "schema": load.SCHEMA,
            "bench": "feed",
            "world": results["world"],
            "paths": {backend: results[backend] for backend in backends},
            "post": results["post"],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2))
    return 0


def print_results(results: dict[str, Any], reports: dict[str, load.Report]) -> None:
    print()
    print(
        f"{'path':<8} {'feed req/s':>11} {'/hello req/s':>13} {'÷ /hello':>9} {'first read ms':>14}"
    )
    for backend, report in reports.items():
        feed = report.targets[0]
        print(
            f"{backend:<8} {feed.capacity:>11.0f} {report.floor.capacity:>13.0f} "
            f"{feed.ratio_to_floor:>9.3f} {results[backend]['first_read_ms']:>14.1f}"
        )
    print()
    print(
        f"{'one post by':<12} {'followers':>10} {'request ms':>11} {'fan-out ms':>11} {'feeds':>8}"
    )
    for label, row in results["post"].items():
        print(
            f"{label:<12} {row['followers']:>10} {row['request_ms']:>11.1f} "
            f"{row['fan_out_ms']:>11.1f} {row['feeds_written']:>8}"
        )


if __name__ == "__main__":
    sys.exit(main())
