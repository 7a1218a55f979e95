"""bench/load.py's pure parts (schedules, percentiles, the balance guard, HTTP framing, wrk
scripts, options) and its open-loop generator against a tiny local HTTP server."""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import http_floor  # noqa: E402  (bench/ is a folder of scripts, not a package)
import load  # noqa: E402

# --- Schedules ----------------------------------------------------------------------------------


def test_a_constant_schedule_spaces_arrivals_evenly() -> None:
    offsets = load.constant_schedule(200.0, 2.0)

    assert len(offsets) == 400
    assert offsets[:3] == [0.0, 0.005, 0.01]
    assert {round(b - a, 9) for a, b in itertools.pairwise(offsets)} == {0.005}


def test_a_poisson_schedule_has_the_asked_mean_rate_and_exponential_gaps() -> None:
    offsets = load.poisson_schedule(1000.0, 20.0, seed=7)
    gaps = [b - a for a, b in itertools.pairwise(offsets)]

    assert 19_400 < len(offsets) < 20_600  # 20,000 expected; sd ~141
    assert offsets == sorted(offsets)
    assert offsets[0] > 0
    assert offsets[-1] < 20.0
    # Exponential gaps: the standard deviation equals the mean (constant gaps would give 0).
    assert statistics.pstdev(gaps) == pytest.approx(statistics.fmean(gaps), rel=0.05)


def test_a_poisson_schedule_is_determined_by_its_seed() -> None:
    assert load.poisson_schedule(300.0, 3.0, seed=1) == load.poisson_schedule(300.0, 3.0, seed=1)
    assert load.poisson_schedule(300.0, 3.0, seed=1) != load.poisson_schedule(300.0, 3.0, seed=2)


def test_schedules_of_nothing_are_empty_and_unknown_arrivals_are_refused() -> None:
    assert load.constant_schedule(0.0, 5.0) == []
    assert load.poisson_schedule(100.0, 0.0, seed=1) == []
    with pytest.raises(ValueError, match="unknown arrivals 'bursty'"):
        load.schedule("bursty", 10.0, 1.0, seed=1)


# --- Statistics and the balance guard -----------------------------------------------------------


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(100, 0, -1)]  # 100 .. 1, unsorted

    assert load.percentile(samples, 0.50) == 50.0
    assert load.percentile(samples, 0.99) == 99.0
    assert load.percentile(samples, 1.0) == 100.0
    assert load.percentile([3.0], 0.99) == 3.0
    assert load.percentile([], 0.5) == 0.0
    assert load.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0


def test_a_round_is_unbalanced_when_one_worker_got_less_than_30_percent_of_two() -> None:
    assert load.is_balanced([0.5, 0.5])
    assert load.is_balanced([0.7, 0.3])
    assert not load.is_balanced([0.71, 0.29])
    assert not load.is_balanced([1.0, 0.0])
    # Four workers: the bar is 60 % of a fair share of 25 %, so 15 %.
    assert load.is_balanced([0.3, 0.3, 0.25, 0.15])
    assert not load.is_balanced([0.4, 0.3, 0.16, 0.14])
    # One worker, or too few ticks to judge (no shares): nothing to discard.
    assert load.is_balanced([1.0])
    assert load.is_balanced([])


def test_worker_shares_come_from_the_tick_deltas_of_workers_seen_twice() -> None:
    before = {101: 1000, 102: 500, 103: 70}
    after = {101: 1300, 102: 600, 104: 9}  # 103 ended, 104 started: both ignored

    shares, total = load.worker_shares(before, after)

    assert total == 400
    assert shares == [0.75, 0.25]
    assert load.worker_shares({1: 0, 2: 0}, {1: 5, 2: 5}) == ([], 10)  # too short to judge


# --- HTTP framing and wrk scripts ---------------------------------------------------------------


def test_response_heads_give_status_and_framing() -> None:
    head = load.parse_response_head(
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 12\r\nRetry-After: 1\r\n\r\n{",
        is_head=False,
    )
    assert head is not None
    assert (head.status, head.length, head.chunked, head.close) == (503, 12, False, False)
    assert head.body_start == 72  # just past the blank line

    chunked = load.parse_response_head(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        is_head=False,
    )
    assert chunked is not None
    assert (chunked.length, chunked.chunked, chunked.close) == (None, True, True)

    no_body = load.parse_response_head(
        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", is_head=True
    )
    assert no_body is not None
    assert no_body.length == 0
    assert load.parse_response_head(b"HTTP/1.1 200 OK\r\nContent-Len", is_head=False) is None


def test_a_chunked_body_ends_after_its_last_chunk_and_trailers() -> None:
    body = b"5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\nNEXT"

    assert load.chunked_body_end(body, 0) == len(body) - 4
    assert load.chunked_body_end(body[:-6], 0) == -1
    assert load.chunked_body_end(b"5\r\nhel", 0) == -1
    with_trailer = b"0\r\nX-Checksum: 1\r\n\r\n"
    assert load.chunked_body_end(with_trailer, 0) == len(with_trailer)


def test_a_wrk_script_cycles_through_every_variant_with_its_headers_and_body() -> None:
    target = load.Target(
        "orders",
        "/api/v1/orders",
        variants=[
            load.Request("/api/v1/orders", "POST", {"Authorization": 'Bearer "a"'}, b'{"n":1}'),
            load.Request("/api/v1/me", headers={"Authorization": "Bearer b"}),
        ],
    )

    script = load.wrk_script(target.requests())

    def lua(text: str) -> str:
        return load._lua_string(text)

    assert f"requests[1] = wrk.format({lua('POST')}, {lua('/api/v1/orders')}, " in script
    bearer = lua('Bearer "a"')
    assert f"[{lua('Authorization')}] = {bearer}" in script
    assert lua('{"n":1}') in script
    assert f"requests[2] = wrk.format({lua('GET')}, {lua('/api/v1/me')}" in script
    assert script.rstrip().endswith("end")
    assert lua("é") == '"\\195\\169"'  # bytes, so any header or body survives Lua quoting
    assert load._needs_script(target)
    assert not load._needs_script(load.Target("me", "/api/v1/me", headers={"A": "b"}))


# --- Options ------------------------------------------------------------------------------------


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    load.add_common_arguments(parser)
    return parser.parse_args(argv)


def test_quick_shortens_the_run_unless_a_figure_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIRCLEMART_SERVER", raising=False)
    quick = load.options_from_arguments(_parse("--quick"))
    told = load.options_from_arguments(_parse("--quick", "--rounds", "3"))
    normal = load.options_from_arguments(_parse())

    assert (quick.rounds, quick.duration, quick.open_duration, quick.warmup) == (1, 1, 1.0, 0)
    assert quick.quick
    assert told.rounds == 3
    assert (normal.rounds, normal.duration, normal.open_duration) == (3, 10, 10.0)
    assert normal.fractions == (0.25, 0.5, 0.75)
    assert _parse().server == "wsgi"  # what `circlemart serve` runs by default
    assert load.server_kind(_parse()).application == "circlemart.config.wsgi:application"
    assert load.server_kind(_parse("--server", "asgi")).application.endswith("asgi:application")


def test_options_refuse_impossible_loads() -> None:
    with pytest.raises(SystemExit):
        load.options_from_arguments(_parse("--fractions", "0.5,0"))
    with pytest.raises(SystemExit):
        load.options_from_arguments(_parse("--connections", "1"))


# --- The open-loop generator against a tiny server ----------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    delay = 0.0

    def do_GET(self) -> None:
        time.sleep(self.delay)
        if self.path == "/shed":
            self._answer(503, b'{"error": "busy"}')
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"3\r\nabc\r\n0\r\n\r\n")
        else:
            self._answer(200, b"hello")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def tiny_server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"delay": 0.0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_the_open_loop_sends_every_scheduled_request_and_counts_statuses(
    tiny_server: tuple[str, type[_Handler]],
) -> None:
    url, _handler = tiny_server
    requests = [load.Request("/hello"), load.Request("/shed"), load.Request("/chunked")]

    result = load.open_loop(url, requests, rate=150.0, duration=1.0, arrivals="constant")

    assert result.scheduled == result.sent == result.completed == 150
    assert result.statuses == {"200": 100, "503": 50}
    assert (result.ok, result.shed, result.error_responses) == (100, 50, 0)
    assert (result.timeouts, result.connection_errors) == (0, 0)
    assert result.goodput == 100.0
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms
    assert 0 < result.client_cpu_share < 1


def test_an_expected_refusal_counts_as_ok_and_anything_else_as_an_error(
    tiny_server: tuple[str, type[_Handler]],
) -> None:
    url, _handler = tiny_server
    requests = [load.Request("/shed"), load.Request("/hello")]

    result = load.open_loop(
        url, requests, rate=40.0, duration=1.0, arrivals="constant", expect_status=503
    )

    assert result.statuses == {"200": 20, "503": 20}
    assert (result.ok, result.shed, result.error_responses) == (20, 0, 20)


def test_open_loop_latency_counts_from_the_scheduled_send_so_queueing_shows(
    tiny_server: tuple[str, type[_Handler]],
) -> None:
    url, handler = tiny_server
    handler.delay = 0.02  # one connection serves at most ~50 req/s; 100/s are offered

    result = load.open_loop(
        url,
        [load.Request("/hello")],
        rate=100.0,
        duration=1.0,
        arrivals="constant",
        max_connections=1,
    )

    assert result.ok == 100
    assert result.connections_opened == 1
    assert result.waited_for_connection > 80
    # Each request spent ~20 ms on the wire, but one connection serves them one by one, so
    # the last ones finished ~1 s behind their schedule: that wait is in their latency.
    assert result.p99_ms > 700
    assert result.p99_ms > 10 * result.service_p50_ms
    assert result.max_ms >= result.p99_ms


def test_requests_slower_than_the_client_timeout_count_as_timeouts(
    tiny_server: tuple[str, type[_Handler]],
) -> None:
    url, handler = tiny_server
    handler.delay = 0.4

    result = load.open_loop(
        url, [load.Request("/hello")], rate=20.0, duration=0.5, arrivals="constant", timeout=0.15
    )

    assert result.scheduled == 10
    assert result.timeouts == 10
    assert result.ok == 0
    assert result.p50_ms == pytest.approx(150.0)  # a timed-out request counts as the timeout


def test_a_refused_connection_is_an_error_not_a_hang() -> None:
    url = f"http://127.0.0.1:{http_floor.free_port()}"  # nothing listens there

    result = load.open_loop(
        url, [load.Request("/")], rate=20.0, duration=0.25, arrivals="constant", timeout=1.0
    )

    assert result.connection_errors == result.scheduled == 5
    assert result.ok == 0
