"""Following-feed benchmark: Redis fan-out vs the SQL pull path, beside the /hello floor.

Seeds a power-law world (users, a few celebrities followed by most users, an ordinary long
tail; notes by bulk insert), then runs the production server under wrk:

  /hello                                   the bare-view floor of this run
  /api/v1/social/feed/following (redis)    SOCIAL_FEED_BACKEND=auto with REDIS_URL
  /api/v1/social/feed/following (sql)      SOCIAL_FEED_BACKEND=sql, same data, same Redis

wrk rotates through many readers' bearer tokens (a Lua script), so Redis serves many feeds,
not one hot key. Last, it times one post by a celebrity and one by an ordinary author: the
request-path write (note_create) and the fan-out task's work (note_fan_out).

    createdb -h 127.0.0.1 -U postgres feed_bench
    .venv/bin/python bench/feed.py --database-url postgres://postgres@127.0.0.1/feed_bench \\
        --redis-url redis://127.0.0.1:6379/6                     # 20,000 users, 200,000 notes
    .venv/bin/python bench/feed.py ... --users 5000 --notes 50000 --star-followers 4000
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

FEED_PATH = "/api/v1/social/feed/following?limit=20"
LUA = """
tokens = {}
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
counter = 0
request = function()
  counter = counter + 1
  local token = tokens[(counter %% #tokens) + 1]
  return wrk.format("GET", "%(path)s", {["Authorization"] = "Bearer " .. token})
end
"""


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
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
    parser.add_argument("--readers", type=int, default=200, help="distinct tokens wrk rotates")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 2)))
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-input", help=argparse.SUPPRESS)
    return parser.parse_args()


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

    rng = random.Random(args.seed)
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
    from django.db import connection

    with connection.cursor() as cursor:  # fresh planner statistics after the bulk load
        cursor.execute("ANALYZE")
    notes_seconds = time.perf_counter() - started
    readers = rng.sample(user_ids[args.stars :], k=min(args.readers, len(user_ids) - args.stars))
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


def run_wrk_rotating(
    base_url: str, tokens_file: Path, script: Path, args: argparse.Namespace
) -> http_floor.WrkResult:
    script.write_text(LUA % {"tokens": tokens_file, "path": FEED_PATH})
    command = [
        http_floor.WRK,
        f"--threads={http_floor.WRK_THREADS}",
        f"--connections={args.connections}",
        f"--duration={args.seconds}s",
        "--latency",
        "--script",
        str(script),
        f"{base_url}{FEED_PATH}",
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=args.seconds + 60
    )
    if completed.returncode != 0:
        raise http_floor.BenchmarkError(f"wrk exited {completed.returncode}:\n{completed.stderr}")
    result = http_floor.parse_wrk(completed.stdout)
    if result.error_responses or result.socket_errors:
        raise http_floor.BenchmarkError(f"feed: errors under load:\n{completed.stdout}")
    return result


def _server(environment: dict[str, str], work_dir: Path, workers: int) -> http_floor.RunningServer:
    kind = http_floor.server_kinds(wsgi_threads=1)["asgi"]
    server = http_floor.RunningServer(
        kind, workers=workers, environment=environment, work_dir=work_dir
    )
    server.wait_until_ready()
    return server


def main() -> int:
    args = parse_arguments()
    if args.worker:
        mode, out = args.worker.split(":", 1)
        {"seed": seed_world, "post": post_cost}[mode](args, Path(out))
        return 0
    with tempfile.TemporaryDirectory(prefix="cm-feed-bench-") as scratch:
        work = Path(scratch)
        environment = http_floor.child_environment(
            data_dir=work, database_url=args.database_url, redis_url=args.redis_url
        )
        environment["SOCIAL_CELEBRITY_FOLLOWERS"] = str(args.celebrity_threshold)
        environment["DJANGO_SETTINGS_MODULE"] = "circlemart.config.settings"
        http_floor.circlemart(["migrate", "--noinput"], environment=environment, cwd=ROOT)
        http_floor.circlemart(["collectstatic", "--noinput"], environment=environment, cwd=ROOT)
        subprocess.run(
            ["redis-cli", "-u", args.redis_url, "flushdb"], check=True, capture_output=True
        )
        world_file = work / "world.json"
        print(f"seeding {args.users} users, {args.notes} notes …", flush=True)
        started = time.perf_counter()
        base = [sys.executable, __file__, "--database-url", args.database_url]
        flags = [
            "--users", str(args.users), "--notes", str(args.notes), "--stars", str(args.stars),
            "--star-followers", str(args.star_followers), "--readers", str(args.readers),
            "--seed", str(args.seed),
        ]  # fmt: skip
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
        tokens_file = work / "tokens.txt"
        tokens_file.write_text("\n".join(world["tokens"]) + "\n")
        results: dict[str, Any] = {"world": {k: v for k, v in world.items() if k != "tokens"}}
        for backend in ("redis", "sql"):
            env = dict(environment, SOCIAL_FEED_BACKEND="auto" if backend == "redis" else "sql")
            server = _server(env, work, args.workers)
            try:
                # Warm-up: every reader once (builds their Redis set), then a short wrk run.
                warm_started = time.perf_counter()
                for token in world["tokens"]:
                    status, _, _ = http_floor.fetch(
                        server.base_url + FEED_PATH, {"Authorization": f"Bearer {token}"}
                    )
                    if status != 200:
                        raise http_floor.BenchmarkError(f"feed answered {status}")
                first_reads_ms = (time.perf_counter() - warm_started) * 1000 / len(world["tokens"])
                warm = argparse.Namespace(**{**vars(args), "seconds": 3})
                run_wrk_rotating(server.base_url, tokens_file, work / "warm.lua", warm)
                floor = http_floor.run_wrk(
                    f"{server.base_url}/hello",
                    http_floor.Endpoint(name="hello", path="/hello"),
                    seconds=args.seconds,
                    connections=args.connections,
                )
                feed = run_wrk_rotating(server.base_url, tokens_file, work / "feed.lua", args)
            finally:
                server.stop()
            results[backend] = {
                "hello": floor.__dict__,
                "feed": feed.__dict__,
                "first_read_ms": first_reads_ms,
            }
        post_file = work / "post.json"
        post_env = dict(environment, SOCIAL_FEED_BACKEND="auto", CELERY_TASK_ALWAYS_EAGER="0")
        subprocess.run(
            [*base, *flags, "--worker", f"post:{post_file}", "--worker-input", str(world_file)],
            env=post_env,
            check=True,
            cwd=ROOT,
        )
        results["post"] = json.loads(post_file.read_text())
    print_results(results, args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


def _row(label: str, figures: dict[str, Any], ratio: float) -> str:
    return (
        f"{label:<40} {figures['requests_per_second']:>9.0f} {figures['p50_ms']:>8.2f} "
        f"{figures['p99_ms']:>8.2f} {ratio:>8.2f}"
    )


def print_results(results: dict[str, Any], args: argparse.Namespace) -> None:
    print()
    print(
        f"### following feed, {args.connections} connections, {args.seconds} s, "
        f"asgi x{args.workers}"
    )
    print(f"{'endpoint':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'÷ floor':>8}")
    for backend in ("redis", "sql"):
        floor, feed = results[backend]["hello"], results[backend]["feed"]
        ratio = feed["requests_per_second"] / floor["requests_per_second"]
        print(_row("/hello (floor, same server)", floor, 1.0))
        print(_row(f"feed/following ({backend})", feed, ratio))
        print(f"{'  first read per reader (ms)':<40} {results[backend]['first_read_ms']:>9.1f}")
    print()
    print(
        f"{'one post by':<12} {'followers':>10} {'request ms':>11} {'fan-out ms':>11} {'feeds':>8}"
    )
    for label, row in results["post"].items():
        print(
            f"{label:<12} {row['followers']:>10} {row['request_ms']:>11.1f} "
            f"{row['fan_out_ms']:>11.1f} {row['feeds_written']:>8}"
        )
    target = results["redis"]["feed"]["p99_ms"]
    verdict = "met" if target < 30 else "NOT met"
    print(f"\ntarget: feed p99 < 30 ms at 32 connections with Redis: {target:.1f} ms ({verdict})")


if __name__ == "__main__":
    sys.exit(main())
