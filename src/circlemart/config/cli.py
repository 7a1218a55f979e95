"""The `circlemart` command: serve, worker, migrate, seed-demo, createadmin, and every Django
management command (`circlemart check --deploy`, `circlemart shell`, …)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

OWN_COMMANDS = {"serve", "worker", "seed-demo", "createadmin"}


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circlemart.config.settings")
    import django

    django.setup()


def serve(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="circlemart serve", description=serve.__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    parser.add_argument(
        "--server",
        choices=["wsgi", "asgi"],
        default=os.environ.get("CIRCLEMART_SERVER", "wsgi"),
        help="wsgi: threaded sync workers (fastest for HTTP); asgi: uvicorn workers",
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start the background worker beside the web server",
    )
    args = parser.parse_args(argv)
    _setup_django()
    from django.core.management import call_command

    from circlemart.config.celery import is_embedded_broker

    call_command("collectstatic", interactive=False, verbosity=0)
    web = [sys.executable, "-m", "gunicorn", *server_arguments(args.server, args.workers)]
    web += ["--bind", f"{args.host}:{args.port}", "--access-logfile", "-"]
    web += ["--graceful-timeout", "10"]
    environment = dict(os.environ)
    if args.server == "asgi":
        # Each ASGI request runs on a new thread: persistent per-thread connections would
        # pile up (PostgreSQL uses the pool instead; see settings).
        environment.setdefault("DB_CONN_MAX_AGE", "0")
    children = [subprocess.Popen(web, env=environment)]  # noqa: S603  (our own arguments)
    if is_embedded_broker() and not args.no_worker:
        worker = [sys.executable, "-m", "circlemart.config.cli", "worker"]
        children.append(subprocess.Popen(worker))  # noqa: S603
        print("background worker: embedded broker (filesystem queue in the data dir)")
    print(f"Circlemart on http://{args.host}:{args.port}  (Ctrl-C stops it)", flush=True)
    return _supervise(children)


def server_arguments(kind: str, workers: int) -> list[str]:
    """gunicorn's application and worker class for `circlemart serve --server …`."""
    if kind == "asgi":
        return [
            "circlemart.config.asgi:application",
            "--worker-class",
            "uvicorn_worker.UvicornWorker",
            "--workers",
            str(workers),
        ]
    return [
        "circlemart.config.wsgi:application",
        "--worker-class",
        "gthread",
        "--threads",
        os.environ.get("WEB_THREADS", "4"),
        "--workers",
        str(workers),
    ]


def _supervise(children: list[subprocess.Popen[bytes]]) -> int:
    """Run until one child exits or we are told to stop; then stop the others."""
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        finished = [child for child in children if child.poll() is not None]
        if finished:
            exit_code = finished[0].returncode or 0
            break
        time.sleep(0.5)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    return exit_code


def worker(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="circlemart worker", description=worker.__doc__)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--beat",
        choices=["auto", "yes", "no"],
        default="auto",
        help="run the periodic scheduler inside this worker (auto: only on the embedded broker)",
    )
    parser.add_argument("--loglevel", default="INFO")
    args = parser.parse_args(argv)
    _setup_django()
    from circlemart.config.celery import app, is_embedded_broker

    with_beat = args.beat == "yes" or (args.beat == "auto" and is_embedded_broker())
    celery_argv = [
        "worker",
        f"--loglevel={args.loglevel}",
        f"--concurrency={args.concurrency}",
        "--without-mingle",
        "--without-gossip",
    ]
    if with_beat:
        celery_argv.append("--beat")
    app.worker_main(celery_argv)
    return 0


def seed_demo(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="circlemart seed-demo")
    parser.add_argument("--seed", type=int, default=42, help="same seed, same world")
    parser.add_argument("--users", type=int, default=1000, help="shoppers to create")
    parser.add_argument(
        "--products",
        "--scale",
        type=int,
        default=5000,
        help="products (e.g. 100000 for benchmarks)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    _setup_django()
    from circlemart.config.seed import print_demo_logins, seed_world

    summary = seed_world(
        seed=args.seed, users=args.users, products=args.products, progress=not args.quiet
    )
    print(summary)
    print_demo_logins()
    return 0


def createadmin(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="circlemart createadmin")
    parser.add_argument("--email", required=True)
    parser.add_argument(
        "--password",
        default=os.environ.get("CIRCLEMART_ADMIN_PASSWORD"),
        help="default: $CIRCLEMART_ADMIN_PASSWORD, else asked for",
    )
    args = parser.parse_args(argv)
    _setup_django()
    from getpass import getpass

    from circlemart.accounts.services import admin_account_ensure
    from circlemart.core.errors import DomainError

    password = args.password or getpass("Password: ")
    try:
        user = admin_account_ensure(email=args.email, password=password)
    except DomainError as error:
        print(f"{error.field or 'error'}: {error.message}", file=sys.stderr)
        return 2
    print(f"admin ready: {user.email}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = arguments[0] if arguments else "help"
    handlers = {
        "serve": serve,
        "worker": worker,
        "seed-demo": seed_demo,
        "createadmin": createadmin,
    }
    if command in handlers:
        return handlers[command](arguments[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circlemart.config.settings")
    from django.core.management import execute_from_command_line

    if command == "help":
        print("circlemart commands: " + ", ".join(sorted(OWN_COMMANDS)) + ", plus Django's:")
    execute_from_command_line(["circlemart", *arguments])
    return 0


if __name__ == "__main__":
    sys.exit(main())
