"""The `circlemart` command: serve, worker, migrate, seed-demo, createadmin, and every Django
management command (`circlemart check --deploy`, `circlemart shell`, …)."""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType

OWN_COMMANDS = {"serve", "worker", "seed-demo", "createadmin"}
logger = logging.getLogger("circlemart.serve")
# `serve` and `seed-demo` keep the console to what a person needs (warnings, errors, the demo
# logins) unless asked for more: `serve --verbose` or CIRCLEMART_VERBOSE=1.
VERBOSE_ENV = "CIRCLEMART_VERBOSE"
TRUE_WORDS = {"1", "true", "yes", "on"}


def is_verbose(environment: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if environment is None else environment).get(VERBOSE_ENV, "")
    return value.strip().lower() in TRUE_WORDS


def quiet_environment(base: Mapping[str, str], *, verbose: bool) -> dict[str, str]:
    """The environment of a quiet (or verbose) child: LOG_LEVEL WARNING unless verbose or set
    explicitly, and the verbose switch passed on."""
    environment = dict(base)
    if verbose:
        environment[VERBOSE_ENV] = "1"
    else:
        environment.setdefault("LOG_LEVEL", "WARNING")
    return environment


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circlemart.config.settings")
    import django

    django.setup()


LIVE_HELP = (
    "the websocket server (uvicorn, ASGI) of the live rooms runs beside the web server on "
    "--live-port (default: --port + 1); --live-workers > 1 needs the Redis channel layer "
    "(REDIS_URL): with the in-memory layer (the default) one process holds every room's "
    "groups and several would not see each other's messages"
)


def serve(argv: Sequence[str]) -> int:
    """Run the web server, the live rooms' websocket server and, on the embedded broker, a
    background worker beside them."""
    parser = argparse.ArgumentParser(
        prog="circlemart serve", description=serve.__doc__, epilog=LIVE_HELP
    )
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
    parser.add_argument(
        "--live-port",
        type=int,
        default=int(os.environ["LIVE_PORT"]) if os.environ.get("LIVE_PORT") else None,
        help="port of the websocket server (default: --port + 1; also LIVE_PORT)",
    )
    parser.add_argument(
        "--live-workers",
        type=int,
        default=int(os.environ.get("LIVE_WORKERS", "1")),
        help="websocket server processes (default 1; more only with REDIS_URL: the in-memory "
        "channel layer lives inside one process; also LIVE_WORKERS)",
    )
    parser.add_argument(
        "--no-live",
        action="store_true",
        help="do not start the websocket server (run `uvicorn circlemart.config.asgi:"
        "application` yourself, or route /ws/ elsewhere)",
    )
    control = parser.add_mutually_exclusive_group()
    control.add_argument(
        "--control-socket",
        metavar="PATH",
        default=os.environ.get(CONTROL_SOCKET_ENV, "").strip() or None,
        help="gunicorn's control socket (`gunicornc -s PATH`); default: one per instance, "
        "run/gunicorn-<host>-<port>.ctl in the data dir, so two serves on one machine never "
        f"take over each other's (also {CONTROL_SOCKET_ENV}; 'off' turns it off)",
    )
    control.add_argument(
        "--no-control-socket",
        action="store_true",
        help="run the web server without gunicorn's control socket",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=is_verbose(),
        help="log every request and the worker's tasks (default: warnings and errors only; "
        f"also {VERBOSE_ENV}=1)",
    )
    args = parser.parse_args(argv)
    live_port = args.live_port if args.live_port is not None else args.port + 1
    if args.live_workers < 1:
        parser.error("--live-workers must be at least 1")
    if args.live_workers > 1 and not os.environ.get("REDIS_URL", "").strip():
        parser.error(
            "--live-workers > 1 needs REDIS_URL (the Redis channel layer): with the in-memory "
            "layer each process would only see its own viewers"
        )
    if not args.no_live and live_port == args.port:
        parser.error("--live-port must differ from --port")
    os.environ.update(quiet_environment(os.environ, verbose=args.verbose))
    _setup_django()
    from django.core.management import call_command

    from circlemart.config.celery import is_embedded_broker

    call_command("collectstatic", interactive=False, verbosity=0)
    web = [sys.executable, "-m", "gunicorn", *server_arguments(args.server, args.workers)]
    web += ["--bind", f"{args.host}:{args.port}", "--graceful-timeout", "10"]
    web += gunicorn_log_arguments(verbose=args.verbose)
    from django.conf import settings

    web += control_socket_arguments(
        "off" if args.no_control_socket else args.control_socket,
        data_dir=settings.DATA_DIR,
        host=args.host,
        port=args.port,
    )
    environment = serve_environment(
        os.environ,
        host=args.host,
        port=args.port,
        server=args.server,
        live_port=None if args.no_live else live_port,
    )
    environment = quiet_environment(environment, verbose=args.verbose)
    worker = None
    if is_embedded_broker() and not args.no_worker:
        worker = [sys.executable, "-m", "circlemart.config.cli", "worker"]
        worker += ["--loglevel=INFO"] if args.verbose else ["--loglevel=WARNING", "--quiet"]
        print("background worker: embedded broker (message files in the data dir)")
    live = None
    if not args.no_live:
        live = live_arguments(
            host=args.host, port=live_port, workers=args.live_workers, verbose=args.verbose
        )
        layer = "Redis" if environment.get("REDIS_URL", "").strip() else "in-memory"
        print(
            f"live rooms: websockets on {live_url_for(args.host, live_port)}/ws/live/ "
            f"({args.live_workers} process{'es' if args.live_workers > 1 else ''}, "
            f"{layer} channel layer)"
        )
    print(f"Circlemart on http://{args.host}:{args.port}  (Ctrl-C stops it)", flush=True)
    site = environment["SITE_URL"].rstrip("/")
    banner = ReadyBanner(
        url=f"http://{_probe_host(args.host)}:{args.port}/hello",
        text=ready_banner(
            site,
            verbose=args.verbose,
            live_url=None if live is None else live_url_for(args.host, live_port),
        ),
    )
    return Supervisor(
        web=web, worker=worker, live=live, environment=environment, ready=banner
    ).run()


def live_url_for(host: str, port: int) -> str:
    """The websocket origin of `serve`'s live server (ws://, a wildcard becomes loopback)."""
    return "ws" + site_url_for(host, port).removeprefix("http")


def live_arguments(*, host: str, port: int, workers: int, verbose: bool) -> list[str]:
    """uvicorn serving the ASGI application (websockets through the `websockets` package)."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "circlemart.config.asgi:application",
        "--host",
        host.strip("[]") or "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        # The `websockets` package's Sans-I/O protocol (uvicorn's plain "websockets" one is
        # deprecated).
        "--ws",
        "websockets-sansio",
        # Above the protocol's 2 KiB frame limit, so the consumer can answer 4413 itself;
        # far below uvicorn's 16 MiB default, so a client cannot make it buffer megabytes.
        "--ws-max-size",
        str(LIVE_WS_MAX_BYTES),
        # Small JSON frames fanned out to many viewers: compressing each one for each socket
        # costs the CPU that delivery needs and saves a few bytes.
        "--ws-per-message-deflate",
        "false",
        # Django's ASGI handler speaks no lifespan protocol.
        "--lifespan",
        "off",
        "--timeout-graceful-shutdown",
        "5",
        "--no-server-header",
    ]
    if verbose:
        return [*command, "--log-level", "info"]
    return [*command, "--log-level", "warning", "--no-access-log"]


LIVE_WS_MAX_BYTES = 64 * 1024


def gunicorn_log_arguments(*, verbose: bool) -> list[str]:
    """Every request and gunicorn's own notes when verbose; else warnings and errors only."""
    if verbose:
        return ["--access-logfile", "-", "--log-level", "info"]
    return ["--log-level", "warning"]


CONTROL_SOCKET_ENV = "CIRCLEMART_CONTROL_SOCKET"
# sun_path holds 108 bytes with the terminating NUL.
UNIX_SOCKET_PATH_MAX = 107
CONTROL_SOCKET_OFF = {"off", "none", "no", "0", "false"}


def control_socket_path(data_dir: Path, *, host: str, port: int) -> Path:
    """This instance's own control socket: in the data dir, named by the address it serves
    (gunicorn's default, ~/.gunicorn/gunicorn.ctl, is shared by every instance of a user, and
    each new one unlinks the last one's). A data dir too deep for a Unix socket path falls
    back to the temporary directory, under a name derived from the same three."""
    name = re.sub(r"[^A-Za-z0-9.]+", "_", host.strip("[]") or "any") + f"-{port}"
    path = data_dir / "run" / f"gunicorn-{name}.ctl"
    if len(os.fsencode(path)) <= UNIX_SOCKET_PATH_MAX:
        return path
    digest = hashlib.sha256(f"{data_dir}\0{host}\0{port}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"circlemart-{os.getuid()}-{digest}.ctl"


def control_socket_arguments(
    choice: str | None, *, data_dir: Path, host: str, port: int
) -> list[str]:
    """gunicorn's control-socket options for `serve`: the path given, none ('off'), or by
    default (None or empty) this instance's own path."""
    if choice is not None and choice.strip().lower() in CONTROL_SOCKET_OFF:
        return ["--no-control-socket"]
    path = Path(choice) if choice else control_socket_path(data_dir, host=host, port=port)
    return ["--control-socket", str(path)]


def _probe_host(host: str) -> str:
    """Where `serve` itself checks that the site answers (a wildcard means loopback)."""
    if host in {"", "0.0.0.0"}:  # noqa: S104  (comparing, not binding)
        return "127.0.0.1"
    if host in {"::", "[::]"}:
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def ready_banner(site: str, *, verbose: bool, live_url: str | None = None) -> str:
    """What `serve` prints once the site answers: where to go and who to sign in as."""
    from circlemart.accounts.seed import staff_logins

    lines = [
        "",
        "Circlemart is ready:",
        f"  storefront      {site}/",
        f"  back office     {site}/admin/",
        f"  API docs        {site}/api/v1/docs",
    ]
    if live_url is not None:
        lines.append(f"  live rooms      {site}/live/  (websockets: {live_url}/ws/live/)")
    lines += [
        "",
        "Demo logins (after `make seed` / `circlemart seed-demo`):",
    ]
    lines += [
        f"  {email:<36} password: {password:<18} role: {roles}"
        for email, password, roles in staff_logins()
    ]
    lines.append("")
    if verbose:
        lines.append("Logging every request and background task (verbose).")
    else:
        lines.append(
            f"Only warnings and errors are logged from here on; {VERBOSE_ENV}=1 or "
            "`circlemart serve --verbose` logs every request and background task."
        )
    return "\n".join(lines)


@dataclass
class ReadyBanner:
    """Printed once, when `url` first answers (the web server is up); polled by Supervisor."""

    url: str
    text: str
    give_up_after: float = 180.0
    every: float = 0.5
    shown: bool = False
    _started: float = field(default_factory=time.monotonic)
    _next: float = 0.0

    def poll(self) -> None:
        now = time.monotonic()
        if self.shown or now < self._next or now - self._started > self.give_up_after:
            return
        self._next = now + self.every
        if _answers(self.url):
            self.shown = True
            print(self.text, flush=True)


def _answers(url: str) -> bool:
    from urllib.error import HTTPError, URLError
    from urllib.request import urlopen

    try:
        with urlopen(url, timeout=0.5):  # noqa: S310  (our own http://host:port)
            return True
    except HTTPError:
        return True  # it answered, even if not 200
    except (URLError, OSError):
        return False


def site_url_for(host: str, port: int) -> str:
    """Where links point when SITE_URL is not set: the address `serve` listens on (a wildcard
    address becomes the loopback one, which a browser can open)."""
    if host in {"", "0.0.0.0"}:  # noqa: S104  (comparing, not binding)
        host = "127.0.0.1"
    elif host in {"::", "[::]"}:
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def serve_environment(
    base: Mapping[str, str],
    *,
    host: str,
    port: int,
    server: str,
    live_port: int | None = None,
) -> dict[str, str]:
    """The environment of the web server, the live server and the worker that `circlemart
    serve` starts. With a live server (`live_port`), pages open their websocket at
    ws://<host>:<live_port> (LIVE_WEBSOCKET_URL) unless it is set (even empty: same origin)
    or the site is served over https (a reverse proxy in front routes /ws/ on the same
    origin; a ws:// URL from an https page would be blocked as mixed content)."""
    environment = dict(base)
    if server == "asgi":
        # Each ASGI request runs on a new thread: persistent per-thread connections would
        # pile up (PostgreSQL uses the pool instead; see settings).
        environment.setdefault("DB_CONN_MAX_AGE", "0")
    if not environment.get("SITE_URL", "").strip():
        environment["SITE_URL"] = site_url_for(host, port)
    if (
        live_port is not None
        and "LIVE_WEBSOCKET_URL" not in environment
        and not environment["SITE_URL"].strip().lower().startswith("https:")
    ):
        environment["LIVE_WEBSOCKET_URL"] = live_url_for(host, live_port)
    return environment


# gunicorn's gthread and uvicorn workers with admission control (a bounded queue per worker and
# a queueing deadline; 503 + Retry-After when shed; settings ADMISSION_*).
WSGI_WORKER_CLASS = "circlemart.config.gunicorn_worker.AdmissionThreadWorker"
ASGI_WORKER_CLASS = "circlemart.config.gunicorn_worker.AdmissionUvicornWorker"


def server_arguments(kind: str, workers: int) -> list[str]:
    """gunicorn's application and worker class for `circlemart serve --server …`."""
    if kind == "asgi":
        return [
            "circlemart.config.asgi:application",
            "--worker-class",
            ASGI_WORKER_CLASS,
            "--workers",
            str(workers),
        ]
    return [
        "circlemart.config.wsgi:application",
        "--worker-class",
        WSGI_WORKER_CLASS,
        "--threads",
        os.environ.get("WEB_THREADS", "4"),
        "--workers",
        str(workers),
    ]


@dataclass
class Backoff:
    """Seconds to wait before restarting a child that exited: doubling from `first` up to
    `longest` while it keeps dying young; back to `first` once it had stayed up `settled`."""

    first: float = 1.0
    longest: float = 30.0
    settled: float = 30.0
    _next: float = field(default=0.0, init=False)

    def delay_after(self, uptime: float) -> float:
        if uptime >= self.settled or not self._next:
            self._next = self.first
        delay = self._next
        self._next = min(self._next * 2, self.longest)
        return delay


def describe_exit(code: int) -> str:
    if code < 0:
        with suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit code {code}"


@dataclass
class Tended:
    """A child that `Supervisor` restarts with back-off whenever it exits (the background
    worker, the live websocket server), in a session of its own so that whatever processes it
    started (a prefork pool, uvicorn's workers) die with it."""

    label: str
    command: list[str]
    backoff: Backoff
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restart_at: float = 0.0
    restarts: int = 0


class Supervisor:
    """Keeps the web server up, and the background worker and the live websocket server
    running beside it.

    A worker or live server that exits, however it dies, is restarted with back-off; the web
    server is never stopped for it. SIGTERM or SIGINT stops them all. If the web server itself
    exits (it restarts its own workers, so this means it cannot run), the others are stopped
    too and its exit code returned: the site is down and whoever runs `serve` should know.
    """

    def __init__(
        self,
        *,
        web: list[str],
        worker: list[str] | None,
        environment: Mapping[str, str],
        live: list[str] | None = None,
        backoff: Backoff | None = None,
        stop_timeout: float = 15.0,
        ready: ReadyBanner | None = None,
    ) -> None:
        self.ready = ready
        self.web_command = web
        self.worker_command = worker
        self.live_command = live
        self.environment = dict(environment)
        self.backoff = backoff or Backoff()
        self.stop_timeout = stop_timeout
        self.web: subprocess.Popen[bytes] | None = None
        self.tended: list[Tended] = []
        if worker:
            self.tended.append(Tended("background worker", worker, self.backoff))
        if live:
            self.tended.append(Tended("live server", live, replace(self.backoff)))
        self.stopping = False

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    @property
    def worker(self) -> subprocess.Popen[bytes] | None:
        return next((t.process for t in self.tended if t.command is self.worker_command), None)

    @property
    def live(self) -> subprocess.Popen[bytes] | None:
        return next((t.process for t in self.tended if t.command is self.live_command), None)

    @property
    def restarts(self) -> int:
        return sum(child.restarts for child in self.tended)

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        self.web = subprocess.Popen(self.web_command, env=self.environment)  # noqa: S603
        for child in self.tended:
            self._start(child)
        exit_code = 0
        try:
            while not self.stopping:
                web_code = self.web.poll()
                if web_code is not None:
                    logger.error("the web server stopped (%s)", describe_exit(web_code))
                    exit_code = web_code
                    break
                for child in self.tended:
                    self._tend(child)
                if self.ready is not None:
                    self.ready.poll()
                time.sleep(0.2)
        finally:
            self._stop_children()
        return exit_code

    def _start(self, child: Tended) -> None:
        # A session of its own: when the child dies, its pool / worker processes are stopped
        # with it (the group), and a Ctrl-C reaches it only through this supervisor.
        child.process = subprocess.Popen(  # noqa: S603  (our own arguments)
            child.command, env=self.environment, start_new_session=True
        )
        child.started = time.monotonic()
        logger.info("%s started (pid %d)", child.label, child.process.pid)

    def _tend(self, child: Tended) -> None:
        if child.process is not None:
            code = child.process.poll()
            if code is None:
                return
            uptime = time.monotonic() - child.started
            self._kill_group(child.process)
            child.process = None
            delay = child.backoff.delay_after(uptime)
            child.restart_at = time.monotonic() + delay
            child.restarts += 1
            logger.warning(
                "%s stopped (%s) after %.1fs; restarting in %gs (the web server keeps serving)",
                child.label,
                describe_exit(code),
                uptime,
                delay,
            )
        elif time.monotonic() >= child.restart_at:
            self._start(child)

    @staticmethod
    def _kill_group(process: subprocess.Popen[bytes]) -> None:
        """Pool and worker processes a dead child left behind; whatever a worker held is
        requeued by the next worker, a live viewer reconnects with its last sequence."""
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    _kill_worker_group = _kill_group

    def _stop_children(self) -> None:
        running = [child.process for child in self.tended if child.process is not None]
        children = [child for child in (self.web, *running) if child is not None]
        for child in children:
            if child.poll() is None:
                # The worker finishes its running tasks and requeues what it holds; the live
                # server closes its websockets (clients reconnect with their last sequence).
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for process in running:
            self._kill_group(process)


def worker(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="circlemart worker", description=worker.__doc__)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="worker processes (default: WORKER_CONCURRENCY, 4: most tasks wait on the database"
        " or on HTTP, so a slot per core would leave the worker idle while a backlog grows)",
    )
    parser.add_argument(
        "--beat",
        choices=["auto", "yes", "no"],
        default="auto",
        help="run the periodic scheduler inside this worker (auto: only on the embedded broker)",
    )
    parser.add_argument(
        "--hostname",
        default=None,
        help="the worker's node name (default: circlemart-<pid>@<host>, so that two workers on"
        " one machine never share a remote-control queue on the broker)",
    )
    parser.add_argument("--loglevel", default="INFO")
    parser.add_argument(
        "--quiet", action="store_true", help="no start-up banner (as `serve` runs it by default)"
    )
    args = parser.parse_args(argv)
    _setup_django()
    from celery.exceptions import SecurityWarning
    from django.conf import settings

    concurrency = args.concurrency or settings.WORKER_CONCURRENCY

    from circlemart.config.celery import app, is_embedded_broker

    with_beat = args.beat == "yes" or (args.beat == "auto" and is_embedded_broker())
    if args.quiet:  # a demo container often runs as root; the advice is for production
        warnings.filterwarnings("ignore", category=SecurityWarning)
    celery_argv = [
        *(["--quiet"] if args.quiet else []),
        "worker",
        f"--hostname={args.hostname or f'circlemart-{os.getpid()}@%h'}",
        f"--loglevel={args.loglevel}",
        f"--concurrency={concurrency}",
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
    # Progress bars, not the log lines of every task the seeding runs inline.
    os.environ.update(quiet_environment(os.environ, verbose=is_verbose()))
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
