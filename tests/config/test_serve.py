"""`circlemart serve`: the environment it gives its children (SITE_URL from its own address),
and its supervisor — a dead worker is restarted with back-off while the web server keeps
running; only SIGTERM/SIGINT to serve stops everything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from circlemart.config.cli import (
    Backoff,
    ReadyBanner,
    describe_exit,
    gunicorn_log_arguments,
    is_verbose,
    quiet_environment,
    ready_banner,
    serve_environment,
    site_url_for,
)
from tests.fault.test_embedded_broker_soak import children_of, is_alive, worker_of
from tests.fault.test_worker_kill import free_port, log_tail

# --- the children's environment ------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("0.0.0.0", 8000, "http://127.0.0.1:8000"),  # noqa: S104
        ("", 9000, "http://127.0.0.1:9000"),
        ("localhost", 8080, "http://localhost:8080"),
        ("shop.internal", 80, "http://shop.internal:80"),
        ("::", 8000, "http://[::1]:8000"),
        ("[::]", 8000, "http://[::1]:8000"),
        ("::1", 8001, "http://[::1]:8001"),
        ("fe80::2", 8002, "http://[fe80::2]:8002"),
    ],
)
def test_the_site_url_is_where_serve_listens(host, port, expected):
    assert site_url_for(host, port) == expected


def test_serve_sets_the_site_url_from_its_address_when_it_is_not_set():
    base = {"PATH": "/usr/bin", "DATABASE_URL": "postgres://db/shop"}
    environment = serve_environment(base, host="0.0.0.0", port=8123, server="wsgi")  # noqa: S104
    assert environment == {**base, "SITE_URL": "http://127.0.0.1:8123"}
    assert base == {"PATH": "/usr/bin", "DATABASE_URL": "postgres://db/shop"}  # not changed
    blank = serve_environment({"SITE_URL": "  "}, host="127.0.0.1", port=8124, server="wsgi")
    assert blank == {"SITE_URL": "http://127.0.0.1:8124"}


def test_serve_keeps_a_site_url_that_is_set():
    base = {"SITE_URL": "https://shop.example.com"}
    assert serve_environment(base, host="0.0.0.0", port=8123, server="wsgi") == base  # noqa: S104


def test_asgi_children_get_no_persistent_connections_unless_asked():
    asgi = serve_environment({}, host="127.0.0.1", port=8000, server="asgi")
    assert asgi == {"SITE_URL": "http://127.0.0.1:8000", "DB_CONN_MAX_AGE": "0"}
    kept = serve_environment({"DB_CONN_MAX_AGE": "5"}, host="127.0.0.1", port=8000, server="asgi")
    assert kept["DB_CONN_MAX_AGE"] == "5"
    assert "DB_CONN_MAX_AGE" not in serve_environment(
        {}, host="127.0.0.1", port=8000, server="wsgi"
    )


# --- back-off ------------------------------------------------------------------------------


def test_restarts_back_off_while_the_worker_keeps_dying_young_and_reset_once_it_settled():
    backoff = Backoff(first=1.0, longest=30.0, settled=30.0)
    young = [backoff.delay_after(2.0) for _ in range(7)]
    assert young == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert backoff.delay_after(30.0) == 1.0  # it had run half a minute: a fresh start
    assert backoff.delay_after(0.5) == 2.0
    assert Backoff() == Backoff(first=1.0, longest=30.0, settled=30.0)


def test_exits_are_described_by_their_signal_or_code():
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(0) == "exit code 0"


# --- a quiet console unless asked ----------------------------------------------------------


def test_serve_is_quiet_unless_verbose_is_asked_for():
    assert not is_verbose({})
    assert not is_verbose({"CIRCLEMART_VERBOSE": "0"})
    assert is_verbose({"CIRCLEMART_VERBOSE": "1"})
    assert is_verbose({"CIRCLEMART_VERBOSE": "yes"})

    quiet = quiet_environment({"PATH": "/bin"}, verbose=False)
    assert quiet == {"PATH": "/bin", "LOG_LEVEL": "WARNING"}
    assert quiet_environment({"LOG_LEVEL": "DEBUG"}, verbose=False)["LOG_LEVEL"] == "DEBUG"
    verbose = quiet_environment({}, verbose=True)
    assert verbose == {"CIRCLEMART_VERBOSE": "1"}  # the settings' own LOG_LEVEL (INFO)

    assert "--access-logfile" not in gunicorn_log_arguments(verbose=False)
    assert gunicorn_log_arguments(verbose=False)[-2:] == ["--log-level", "warning"]
    assert "--access-logfile" in gunicorn_log_arguments(verbose=True)


def test_the_ready_banner_gives_the_addresses_and_the_demo_logins():
    text = ready_banner("http://127.0.0.1:8123", verbose=False)
    assert "http://127.0.0.1:8123/" in text
    assert "http://127.0.0.1:8123/admin/" in text
    assert "http://127.0.0.1:8123/api/v1/docs" in text
    assert "shopper@demo.circlemart.test" in text
    assert "circlemart-demo" in text
    assert "CIRCLEMART_VERBOSE=1" in text
    assert "verbose" in ready_banner("http://x", verbose=True)


def test_the_ready_banner_is_printed_once_when_the_site_answers(capsys, monkeypatch):
    answers = iter([False, True, True])
    monkeypatch.setattr("circlemart.config.cli._answers", lambda url: next(answers))
    banner = ReadyBanner(url="http://127.0.0.1:1/hello", text="READY", every=0.0)
    banner.poll()
    assert capsys.readouterr().out == ""
    banner.poll()
    banner.poll()
    assert capsys.readouterr().out == "READY\n"


# --- the supervisor, with stand-in children (fast) -------------------------------------------

SUPERVISE = """
import json, logging, os, sys
from circlemart.config import cli

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
web, worker = json.loads(sys.argv[1]), json.loads(sys.argv[2])
backoff = cli.Backoff(first=0.2, longest=0.4, settled=60.0)
sys.exit(cli.Supervisor(web=web, worker=worker, environment=os.environ, backoff=backoff).run())
"""

# Writes its pid to argv[1], then waits for SIGTERM (exit 0) — or exits at once with argv[2].
STAND_IN = """
import os, signal, sys, time
with open(sys.argv[1], "a") as pids:
    pids.write(f"{os.getpid()}\\n")
if len(sys.argv) > 2:
    sys.exit(int(sys.argv[2]))
if len(sys.argv) > 1 and sys.argv[1].endswith("worker"):
    if os.fork() == 0:  # a "pool child" that ignores SIGTERM and would outlive its parent
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            time.sleep(1)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(1)
"""


def stand_in(pids: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-c", STAND_IN, str(pids), *arguments]


def pids_in(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def wait_until(condition: Callable[[], bool], *, seconds: float = 20.0, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, log_tail(log)
        time.sleep(0.05)


@contextmanager
def supervising(
    tmp_path: Path, web: list[str], worker: list[str] | None
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    log = tmp_path / "supervisor.log"
    with log.open("wb") as output:
        supervisor = subprocess.Popen(
            [sys.executable, "-c", SUPERVISE, json.dumps(web), json.dumps(worker)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield supervisor, log
    finally:
        for pid in [supervisor.pid, *pids_in(tmp_path / "worker")]:
            with suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        supervisor.wait(timeout=10)


def test_a_killed_worker_is_restarted_and_the_web_server_keeps_running(tmp_path):
    web_pids, worker_pids = tmp_path / "web", tmp_path / "worker"
    with supervising(tmp_path, stand_in(web_pids), stand_in(worker_pids)) as (supervisor, log):
        wait_until(lambda: len(pids_in(worker_pids)) == 1 and pids_in(web_pids) != [], log=log)
        (web,) = pids_in(web_pids)
        (first,) = pids_in(worker_pids)
        wait_until(lambda: children_of(first) != [], log=log)
        (pool_child,) = children_of(first)

        os.kill(first, signal.SIGKILL)
        wait_until(lambda: len(pids_in(worker_pids)) == 2, log=log)
        wait_until(lambda: not is_alive(pool_child), log=log)  # the dead worker's group went
        second = pids_in(worker_pids)[1]
        wait_until(lambda: children_of(second) != [], log=log)
        assert is_alive(web)
        assert pids_in(web_pids) == [web]
        assert supervisor.poll() is None

        os.kill(second, signal.SIGKILL)
        wait_until(lambda: len(pids_in(worker_pids)) == 3, log=log)
        third = pids_in(worker_pids)[2]
        assert is_alive(web)

        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=30) == 0
    output = log.read_text()
    stopped = [line for line in output.splitlines() if "stopped" in line]
    assert len(stopped) == 2, output
    assert all(
        line.startswith("WARNING background worker stopped (killed by SIGKILL) after ")
        for line in stopped
    )
    assert output.count("restarting in 0.2s (the web server keeps serving)") == 1
    assert output.count("restarting in 0.4s (the web server keeps serving)") == 1
    assert output.count("INFO background worker started (pid ") == 3
    assert [pid for pid in (web, first, second, third, pool_child) if is_alive(pid)] == []


def test_a_worker_that_keeps_failing_never_stops_the_web_server(tmp_path):
    web_pids, worker_pids = tmp_path / "web", tmp_path / "worker"
    failing = stand_in(worker_pids, "1")
    with supervising(tmp_path, stand_in(web_pids), failing) as (supervisor, log):
        wait_until(lambda: len(pids_in(worker_pids)) >= 4, log=log)
        (web,) = pids_in(web_pids)
        assert is_alive(web)
        supervisor.send_signal(signal.SIGINT)  # Ctrl-C
        assert supervisor.wait(timeout=30) == 0
    output = log.read_text()
    assert "background worker stopped (exit code 1)" in output
    assert "restarting in 0.4s" in output
    assert "the web server stopped" not in output
    assert not is_alive(web)


def test_serve_stops_the_worker_and_reports_when_the_web_server_itself_exits(tmp_path):
    web_pids, worker_pids = tmp_path / "web", tmp_path / "worker"
    with supervising(tmp_path, stand_in(web_pids, "3"), stand_in(worker_pids)) as (
        supervisor,
        log,
    ):
        assert supervisor.wait(timeout=30) == 3
    assert "ERROR the web server stopped (exit code 3)" in log.read_text()
    assert [pid for pid in pids_in(worker_pids) if is_alive(pid)] == []


# --- a real `circlemart serve` (slow) ------------------------------------------------------------


CIRCLEMART = [sys.executable, "-m", "circlemart.config.cli"]


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def free_port_at(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def live_server_of(serve_pid: int) -> int | None:
    """The live rooms' websocket server (uvicorn) that serve started, if it runs."""
    for pid in children_of(serve_pid):
        with suppress(OSError):
            if b"uvicorn" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
                return pid
    return None


def answers_hello(port: int) -> bool:
    """The ASGI application answers plain HTTP too: /hello on the websocket server's port."""
    import urllib.request

    url = f"http://127.0.0.1:{port}/hello"
    with suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
        return bool(response.read() == b"hello")
    return False


@pytest.mark.slow
def test_serve_on_another_port_points_links_there_and_stops_on_sigterm(tmp_path):
    port = free_port()
    while free_port_at(port + 1) is False:  # the websocket server takes the next port
        port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "SITE_URL",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    environment["CIRCLEMART_DATA_DIR"] = str(tmp_path)
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        serve = subprocess.Popen(
            [*CIRCLEMART, "serve", "--host", "0.0.0.0", "--port", str(port), "--workers", "1"],  # noqa: S104
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # The web server, the worker and the live rooms' websocket server (uvicorn).
        wait_until(
            lambda: worker_of(serve.pid) is not None and len(children_of(serve.pid)) == 3,
            seconds=120,
            log=log,
        )
        wait_until(lambda: "Circlemart is ready" in log.read_text(), seconds=120, log=log)
        worker = worker_of(serve.pid)
        assert worker is not None
        live = live_server_of(serve.pid)
        assert live is not None
        (web,) = [pid for pid in children_of(serve.pid) if pid not in {worker, live}]
        site_url = f"http://127.0.0.1:{port}"
        assert environ_of(web)["SITE_URL"] == site_url
        assert environ_of(worker)["SITE_URL"] == site_url
        assert environ_of(web)["LIVE_WEBSOCKET_URL"] == f"ws://127.0.0.1:{port + 1}"
        wait_until(lambda: answers_hello(port + 1), seconds=60, log=log)

        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0
        assert [pid for pid in (web, worker, live) if is_alive(pid)] == []
    finally:
        with suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGKILL)
        serve.wait(timeout=30)
    output = log.read_text()
    assert f"Circlemart on http://0.0.0.0:{port}" in output
    # Once up: where to go and who to sign in as; and quiet (no banner, no task lines).
    assert f"storefront      http://127.0.0.1:{port}/" in output
    assert "shopper@demo.circlemart.test" in output
    assert "Task core.relay_outbox" not in output
    assert "[tasks]" not in output
    assert "Booting worker" not in output


# --- the live rooms' websocket server beside the web server (issue 16) ------------------------


def test_serve_points_pages_at_its_websocket_server_unless_told_otherwise():
    from circlemart.config.cli import live_url_for

    live = serve_environment({}, host="0.0.0.0", port=8000, server="wsgi", live_port=8001)  # noqa: S104
    assert live == {
        "SITE_URL": "http://127.0.0.1:8000",
        "LIVE_WEBSOCKET_URL": "ws://127.0.0.1:8001",
    }
    kept = serve_environment(
        {"LIVE_WEBSOCKET_URL": "wss://live.example.com"},
        host="127.0.0.1",
        port=8000,
        server="wsgi",
        live_port=8001,
    )
    assert kept["LIVE_WEBSOCKET_URL"] == "wss://live.example.com"
    # Set but empty: same origin as the page (a proxy routes /ws/), kept as it is.
    same_origin = serve_environment(
        {"LIVE_WEBSOCKET_URL": ""}, host="127.0.0.1", port=8000, server="wsgi", live_port=8001
    )
    assert same_origin["LIVE_WEBSOCKET_URL"] == ""
    # An https site is behind a proxy: a ws:// URL would be blocked as mixed content.
    https = serve_environment(
        {"SITE_URL": "https://shop.example.com"},
        host="127.0.0.1",
        port=8000,
        server="wsgi",
        live_port=8001,
    )
    assert https == {"SITE_URL": "https://shop.example.com"}
    # --no-live: nothing to point at.
    assert "LIVE_WEBSOCKET_URL" not in serve_environment(
        {}, host="127.0.0.1", port=8000, server="wsgi", live_port=None
    )
    assert live_url_for("::", 8001) == "ws://[::1]:8001"
    assert live_url_for("shop.internal", 9001) == "ws://shop.internal:9001"


def test_the_websocket_server_is_uvicorn_on_the_asgi_application_with_websockets():
    from circlemart.config.cli import LIVE_WS_MAX_BYTES, live_arguments

    command = live_arguments(host="0.0.0.0", port=8001, workers=1, verbose=False)  # noqa: S104
    assert command[:4] == [sys.executable, "-m", "uvicorn", "circlemart.config.asgi:application"]
    options = dict(zip(command[4::2], command[5::2], strict=False))
    assert options["--host"] == "0.0.0.0"  # noqa: S104
    assert options["--port"] == "8001"
    assert options["--workers"] == "1"
    assert options["--ws"] == "websockets-sansio"  # the `websockets` package, Sans-I/O
    assert options["--lifespan"] == "off"
    assert options["--ws-per-message-deflate"] == "false"
    # Larger than the protocol's 2 KiB limit (the consumer answers 4413 itself), far below
    # uvicorn's 16 MiB default.
    assert options["--ws-max-size"] == str(LIVE_WS_MAX_BYTES)
    assert 2048 < LIVE_WS_MAX_BYTES <= 65536
    assert command[-3:] == ["--log-level", "warning", "--no-access-log"]
    verbose = live_arguments(host="::1", port=9001, workers=3, verbose=True)
    assert verbose[-2:] == ["--log-level", "info"]
    assert "--no-access-log" not in verbose
    assert dict(zip(verbose[4::2], verbose[5::2], strict=False))["--workers"] == "3"


def test_the_ready_banner_says_where_the_live_rooms_are():
    text = ready_banner("http://127.0.0.1:8000", verbose=False, live_url="ws://127.0.0.1:8001")
    assert (
        "  live rooms      http://127.0.0.1:8000/live/  (websockets: ws://127.0.0.1:8001/ws/live/)"
        in text
    )
    assert "live rooms" not in ready_banner("http://127.0.0.1:8000", verbose=False)


@pytest.fixture
def serve_without_servers(monkeypatch):
    """Runs `serve` up to the Supervisor, which records what it was given instead of starting
    anything; os.environ is put back afterwards (serve updates it for its children)."""
    from django.core import management

    from circlemart.config import celery, cli

    saved = dict(os.environ)
    captured: dict[str, object] = {}

    class Recorder:
        def __init__(self, **options):
            captured.update(options)

        def run(self):
            return 0

    monkeypatch.setattr(cli, "Supervisor", Recorder)
    monkeypatch.setattr(cli, "_setup_django", lambda: None)
    monkeypatch.setattr(management, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr(celery, "is_embedded_broker", lambda: True)
    for name in ("LIVE_WEBSOCKET_URL", "LIVE_PORT", "LIVE_WORKERS", "REDIS_URL", "SITE_URL"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield captured
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_serve_starts_the_websocket_server_by_default(serve_without_servers, capsys):
    from circlemart.config.cli import serve

    assert serve(["--host", "127.0.0.1", "--port", "8100"]) == 0
    live = serve_without_servers["live"]
    assert live[:4] == [sys.executable, "-m", "uvicorn", "circlemart.config.asgi:application"]
    assert live[live.index("--port") + 1] == "8101"
    assert live[live.index("--host") + 1] == "127.0.0.1"
    assert live[live.index("--workers") + 1] == "1"
    web = serve_without_servers["web"]
    assert web[web.index("--bind") + 1] == "127.0.0.1:8100"
    assert serve_without_servers["worker"] is not None
    environment = serve_without_servers["environment"]
    assert environment["LIVE_WEBSOCKET_URL"] == "ws://127.0.0.1:8101"
    assert environment["SITE_URL"] == "http://127.0.0.1:8100"
    out = capsys.readouterr().out
    assert (
        "live rooms: websockets on ws://127.0.0.1:8101/ws/live/ (1 process, in-memory channel "
        "layer)" in out
    )
    assert "live rooms      http://127.0.0.1:8100/live/" in serve_without_servers["ready"].text


def test_serve_takes_another_live_port_and_no_live(serve_without_servers):
    from circlemart.config.cli import serve

    assert serve(["--port", "8100", "--live-port", "9200"]) == 0
    live = serve_without_servers["live"]
    assert live[live.index("--port") + 1] == "9200"
    assert serve_without_servers["environment"]["LIVE_WEBSOCKET_URL"] == "ws://127.0.0.1:9200"

    serve_without_servers.clear()
    os.environ.pop("LIVE_WEBSOCKET_URL", None)
    assert serve(["--port", "8100", "--no-live"]) == 0
    assert serve_without_servers["live"] is None
    assert "LIVE_WEBSOCKET_URL" not in serve_without_servers["environment"]
    assert "live rooms" not in serve_without_servers["ready"].text


def test_several_websocket_processes_need_the_redis_channel_layer(serve_without_servers, capsys):
    from circlemart.config.cli import serve

    with pytest.raises(SystemExit) as refused:
        serve(["--live-workers", "2"])
    assert refused.value.code == 2
    assert "--live-workers > 1 needs REDIS_URL" in capsys.readouterr().err
    assert serve_without_servers == {}  # nothing was started

    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/12"
    assert serve(["--port", "8100", "--live-workers", "3"]) == 0
    live = serve_without_servers["live"]
    assert live[live.index("--workers") + 1] == "3"
    assert "(3 processes, Redis channel layer)" in capsys.readouterr().out


def test_serve_help_says_one_websocket_process_on_the_in_memory_layer(capsys):
    from circlemart.config.cli import serve

    with pytest.raises(SystemExit):
        serve(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--live-port" in text
    assert "--no-live" in text
    assert "--live-workers" in text
    assert "several would not see each other's messages" in text


SUPERVISE_LIVE = """
import json, logging, os, sys
from circlemart.config import cli

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
web, live = json.loads(sys.argv[1]), json.loads(sys.argv[2])
backoff = cli.Backoff(first=0.2, longest=0.4, settled=60.0)
supervisor = cli.Supervisor(
    web=web, worker=None, live=live, environment=os.environ, backoff=backoff
)
sys.exit(supervisor.run())
"""


def test_a_killed_websocket_server_is_restarted_and_the_web_server_keeps_running(tmp_path):
    web_pids, live_pids = tmp_path / "web", tmp_path / "live"
    log = tmp_path / "supervisor.log"
    with log.open("wb") as output:
        supervisor = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SUPERVISE_LIVE,
                json.dumps(stand_in(web_pids)),
                json.dumps(stand_in(live_pids)),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: pids_in(live_pids) != [] and pids_in(web_pids) != [], log=log)
        (web,) = pids_in(web_pids)
        (first,) = pids_in(live_pids)
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: len(pids_in(live_pids)) == 2, log=log)
        second = pids_in(live_pids)[1]
        assert is_alive(web)
        assert pids_in(web_pids) == [web]
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=30) == 0
    finally:
        for pid in [supervisor.pid, *pids_in(live_pids)]:
            with suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        supervisor.wait(timeout=10)
    output = log.read_text()
    assert "WARNING live server stopped (killed by SIGKILL) after " in output
    assert output.count("restarting in 0.2s (the web server keeps serving)") == 1
    assert output.count("INFO live server started (pid ") == 2
    assert "background worker" not in output
    assert [pid for pid in (web, first, second) if is_alive(pid)] == []
