"""`circlemart serve`'s gunicorn control socket (issue 13): one per instance by default, so two
serves on one machine never take over each other's; a path or none on request. And the worker
classes `serve` runs (admission control, tests/core/test_admission.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import pytest

from circlemart.config.cli import (
    ASGI_WORKER_CLASS,
    CONTROL_SOCKET_ENV,
    UNIX_SOCKET_PATH_MAX,
    WSGI_WORKER_CLASS,
    control_socket_arguments,
    control_socket_path,
    server_arguments,
)
from tests.config.test_serve import serve_without_servers  # noqa: F401  (a fixture)
from tests.fault.test_worker_kill import free_port, log_tail

ROOT = Path(__file__).resolve().parents[2]


def test_each_address_gets_its_own_control_socket_in_the_data_dir(tmp_path):
    assert control_socket_path(tmp_path, host="127.0.0.1", port=8000) == (
        tmp_path / "run" / "gunicorn-127.0.0.1-8000.ctl"
    )
    assert control_socket_path(tmp_path, host="127.0.0.1", port=8002) == (
        tmp_path / "run" / "gunicorn-127.0.0.1-8002.ctl"
    )
    assert control_socket_path(tmp_path, host="::", port=8000) == (
        tmp_path / "run" / "gunicorn-_-8000.ctl"
    )
    assert control_socket_path(tmp_path, host="[fe80::2]", port=80) == (
        tmp_path / "run" / "gunicorn-fe80_2-80.ctl"
    )
    assert control_socket_path(tmp_path, host="", port=8000) == (
        tmp_path / "run" / "gunicorn-any-8000.ctl"
    )


def test_a_data_dir_too_deep_for_a_unix_socket_falls_back_to_the_temporary_directory():
    deep = Path("/srv") / ("d" * 120)
    path = control_socket_path(deep, host="127.0.0.1", port=8000)
    assert path.parent == Path(tempfile.gettempdir())
    assert path.name.startswith(f"circlemart-{os.getuid()}-")
    assert len(os.fsencode(path)) <= UNIX_SOCKET_PATH_MAX
    # Still one per instance: another port or data dir, another socket; the same, the same.
    assert control_socket_path(deep, host="127.0.0.1", port=8001) != path
    assert control_socket_path(deep / "x", host="127.0.0.1", port=8000) != path
    assert control_socket_path(deep, host="127.0.0.1", port=8000) == path


def test_the_control_socket_can_be_set_or_turned_off(tmp_path):
    own = ["--control-socket", str(tmp_path / "run" / "gunicorn-127.0.0.1-8000.ctl")]
    assert control_socket_arguments(None, data_dir=tmp_path, host="127.0.0.1", port=8000) == own
    assert control_socket_arguments("", data_dir=tmp_path, host="127.0.0.1", port=8000) == own
    assert control_socket_arguments(
        "/run/shop/web.ctl", data_dir=tmp_path, host="127.0.0.1", port=8000
    ) == ["--control-socket", "/run/shop/web.ctl"]
    for off in ("off", "OFF", "none", "0", "false", "no"):
        assert control_socket_arguments(off, data_dir=tmp_path, host="127.0.0.1", port=8000) == [
            "--no-control-socket"
        ]


def _web_option(web: list[str], name: str) -> str | None:
    return web[web.index(name) + 1] if name in web else None


def test_serve_gives_gunicorn_its_own_control_socket_by_default(
    serve_without_servers,  # noqa: F811
    monkeypatch,
    tmp_path,
    settings,
):
    from circlemart.config.cli import serve

    settings.DATA_DIR = tmp_path
    monkeypatch.delenv(CONTROL_SOCKET_ENV, raising=False)
    assert serve(["--port", "8100", "--no-live"]) == 0
    web = serve_without_servers["web"]
    assert _web_option(web, "--control-socket") == str(
        tmp_path / "run" / "gunicorn-127.0.0.1-8100.ctl"
    )
    assert "--no-control-socket" not in web

    assert serve(["--port", "8100", "--no-live", "--control-socket", "/tmp/x.ctl"]) == 0  # noqa: S108
    assert _web_option(serve_without_servers["web"], "--control-socket") == "/tmp/x.ctl"  # noqa: S108

    assert serve(["--port", "8100", "--no-live", "--no-control-socket"]) == 0
    web = serve_without_servers["web"]
    assert "--no-control-socket" in web
    assert "--control-socket" not in web

    monkeypatch.setenv(CONTROL_SOCKET_ENV, "off")
    assert serve(["--port", "8100", "--no-live"]) == 0
    assert "--no-control-socket" in serve_without_servers["web"]
    monkeypatch.setenv(CONTROL_SOCKET_ENV, str(tmp_path / "web.ctl"))
    assert serve(["--port", "8100", "--no-live"]) == 0
    assert _web_option(serve_without_servers["web"], "--control-socket") == str(
        tmp_path / "web.ctl"
    )


def test_serve_refuses_a_control_socket_and_none_at_once(serve_without_servers, capsys):  # noqa: F811
    from circlemart.config.cli import serve

    with pytest.raises(SystemExit) as refused:
        serve(["--control-socket", "/tmp/x.ctl", "--no-control-socket"])  # noqa: S108
    assert refused.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_serve_runs_the_workers_with_admission_control(monkeypatch):
    monkeypatch.setenv("WEB_THREADS", "6")
    wsgi = server_arguments("wsgi", 3)
    assert wsgi == [
        "circlemart.config.wsgi:application",
        "--worker-class",
        WSGI_WORKER_CLASS,
        "--threads",
        "6",
        "--workers",
        "3",
    ]
    asgi = server_arguments("asgi", 2)
    assert asgi[:3] == ["circlemart.config.asgi:application", "--worker-class", ASGI_WORKER_CLASS]
    from circlemart.config import gunicorn_worker

    module, _, name = WSGI_WORKER_CLASS.rpartition(".")
    assert module == gunicorn_worker.__name__
    assert getattr(gunicorn_worker, name) is gunicorn_worker.AdmissionThreadWorker
    assert getattr(gunicorn_worker, ASGI_WORKER_CLASS.rpartition(".")[2]) is (
        gunicorn_worker.AdmissionUvicornWorker
    )


def _stats(socket_path: Path) -> dict[str, object] | None:
    client = str(Path(sys.executable).parent / "gunicornc")
    completed = subprocess.run(
        [client, "-s", str(socket_path), "-c", "show stats", "-j"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if completed.returncode != 0:
        return None
    with suppress(ValueError):
        return dict(json.loads(completed.stdout))
    return None


@pytest.mark.slow
def test_two_instances_on_one_machine_keep_their_own_control_sockets(tmp_path):
    """Both started as serve starts them, with the same data dir: each control socket still
    reaches its own instance (gunicorn's default path would be taken over by the second)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="tests.config.admission_settings",
        CIRCLEMART_DATA_DIR=str(tmp_path),
        ADMISSION_TEST_SIGNALS=str(tmp_path),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    instances: list[tuple[subprocess.Popen[bytes], Path, Path]] = []
    try:
        for _ in range(2):
            port = free_port()
            socket_path = control_socket_path(tmp_path, host="127.0.0.1", port=port)
            log = tmp_path / f"gunicorn-{port}.log"
            own_socket = control_socket_arguments(
                None, data_dir=tmp_path, host="127.0.0.1", port=port
            )
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [
                        *[sys.executable, "-m", "gunicorn", *server_arguments("wsgi", 1)],
                        *["--bind", f"127.0.0.1:{port}", *own_socket],
                    ],
                    env=environment,
                    cwd=tmp_path,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            instances.append((process, socket_path, log))
            deadline = time.monotonic() + 60
            while _stats(socket_path) is None:
                assert process.poll() is None, log_tail(log)
                assert time.monotonic() < deadline, log_tail(log)
                time.sleep(0.2)
        (first, first_socket, _), (second, second_socket, _) = instances
        assert first_socket != second_socket
        assert first_socket.is_socket()
        assert second_socket.is_socket()
        first_stats, second_stats = _stats(first_socket), _stats(second_socket)
        assert first_stats is not None
        assert second_stats is not None
        assert first_stats["pid"] == first.pid
        assert second_stats["pid"] == second.pid
    finally:
        for process, _socket, _log in instances:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process, _socket, _log in instances:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
