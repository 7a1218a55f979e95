"""Fixed-window rate limits on the shared cache, and the client address behind proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import translation

from circlemart.core import ratelimit
from circlemart.core.errors import RateLimited
from circlemart.core.ratelimit import client_ip, hit, reset


class FakeTime:
    """Stands in for the `time` module inside ratelimit, so windows do not roll mid-test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch):
    fake = FakeTime(1_000_000_000.0)  # 1_000_000_000 % 60 == 40: 20 s left in the window
    monkeypatch.setattr(ratelimit, "time", fake)
    return fake


def test_attempts_are_counted_until_the_limit_then_refused(fake_time):
    assert [hit("login:ip:10.0.0.1", limit=3, window=60) for _ in range(3)] == [1, 2, 3]

    with translation.override("en"), pytest.raises(RateLimited) as caught:
        hit("login:ip:10.0.0.1", limit=3, window=60, field="email")

    refusal = caught.value
    assert refusal.retry_after == 20
    assert refusal.field == "email"
    assert refusal.status == 429
    assert refusal.code == "rate_limited"
    assert refusal.message == "Too many attempts. Please try again in 20 seconds."
    assert refusal.as_dict() == {
        "code": "rate_limited",
        "message": "Too many attempts. Please try again in 20 seconds.",
        "field": "email",
        "retry_after": 20,
    }


def test_the_refusal_keeps_coming_until_the_window_ends(fake_time):
    for _ in range(2):
        hit("otp:+8613800138000", limit=2, window=60)
    fake_time.now += 19.5  # the last half second of the window
    with pytest.raises(RateLimited) as caught:
        hit("otp:+8613800138000", limit=2, window=60)
    assert caught.value.retry_after == 1

    fake_time.now += 1  # the next window starts
    assert hit("otp:+8613800138000", limit=2, window=60) == 1


def test_the_refusal_is_translated(fake_time):
    hit("k", limit=1, window=60)
    with translation.override("zh-hans"), pytest.raises(RateLimited) as caught:
        hit("k", limit=1, window=60)
    assert caught.value.message == "操作过于频繁，请 20 秒后再试。"


def test_separate_keys_and_windows_are_counted_separately(fake_time):
    assert hit("login:ip:10.0.0.1", limit=1, window=60) == 1
    with pytest.raises(RateLimited):
        hit("login:ip:10.0.0.1", limit=1, window=60)

    assert hit("login:ip:10.0.0.2", limit=1, window=60) == 1
    assert hit("login:email:a@example.com", limit=1, window=60) == 1
    # the same key in a different window length is another budget
    assert hit("login:ip:10.0.0.1", limit=1, window=3600) == 1


def test_reset_clears_the_budget(fake_time):
    hit("login:ip:10.0.0.1", limit=1, window=60)
    reset("login:ip:10.0.0.1", window=60)
    assert hit("login:ip:10.0.0.1", limit=1, window=60) == 1


def test_disabled_rate_limits_count_nothing(fake_time, settings):
    settings.RATELIMIT_ENABLED = False
    assert [hit("login:ip:10.0.0.1", limit=1, window=60) for _ in range(5)] == [0] * 5

    settings.RATELIMIT_ENABLED = True
    assert hit("login:ip:10.0.0.1", limit=1, window=60) == 1


def request_from(remote_addr: str, forwarded_for: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


def test_client_ip_ignores_forwarded_for_unless_proxies_are_trusted(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_ip(request_from("203.0.113.7", "1.2.3.4")) == "203.0.113.7"


@pytest.mark.parametrize(
    ("hops", "forwarded_for", "expected"),
    [
        (1, "1.2.3.4", "1.2.3.4"),
        # a client may send its own X-Forwarded-For; only what our proxies appended counts
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"),
        (2, " 1.2.3.4 ,10.0.0.2 ", "1.2.3.4"),
        # fewer addresses than trusted hops: the header is not what our proxies wrote
        (2, "1.2.3.4", "10.0.0.1"),
        (1, "", "10.0.0.1"),
    ],
)
def test_client_ip_behind_trusted_proxies(settings, hops, forwarded_for, expected):
    settings.TRUSTED_PROXY_HOPS = hops
    assert client_ip(request_from("10.0.0.1", forwarded_for)) == expected


def test_client_ip_without_forwarded_for_is_the_peer(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_ip(request_from("10.0.0.1")) == "10.0.0.1"
