"""The handshake's pure checks: origin, bearer token location, language."""

from __future__ import annotations

import pytest
from django.test import override_settings

from circlemart.live.realtime.auth import bearer_token, origin_allowed, scope_language


@pytest.mark.parametrize(
    ("headers", "cookies", "expected"),
    [
        ([(b"accept-language", b"zh-CN,zh;q=0.9")], {}, "zh-hans"),
        ([(b"accept-language", b"en-US,en;q=0.8")], {}, "en"),
        ([(b"accept-language", b"en")], {"django_language": "zh-hans"}, "zh-hans"),
        ([(b"accept-language", b"fr")], {}, "zh-hans"),
        ([], {}, "zh-hans"),
    ],
)
def test_the_connection_speaks_the_viewers_language(
    headers: list[tuple[bytes, bytes]], cookies: dict[str, str], expected: str
) -> None:
    assert scope_language({"headers": headers, "cookies": cookies}) == expected


@override_settings(
    ALLOWED_HOSTS=["shop.example.com", ".cdn.example.com"],
    SITE_URL="https://www.example.com",
    CSRF_TRUSTED_ORIGINS=["https://*.partner.example"],
)
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),
        ("https://www.example.com", True),
        ("https://shop.example.com", True),
        ("https://a.cdn.example.com", True),
        ("https://m.partner.example", True),
        ("http://m.partner.example", False),
        ("https://evil.example", False),
        ("https://shop.example.com.evil.example", False),
        ("null", False),
        ("", False),
    ],
)
def test_origin_rules(origin: str | None, allowed: bool) -> None:
    assert origin_allowed(origin) is allowed


def test_bearer_token_comes_from_the_header_or_the_subprotocol_only() -> None:
    assert bearer_token({"headers": [(b"authorization", b"Bearer cma_x")]}) == "cma_x"
    assert bearer_token({"headers": [], "subprotocols": ["live.v1", "bearer.cma_y"]}) == "cma_y"
    assert bearer_token({"headers": [], "query_string": b"token=cma_z"}) is None
    assert bearer_token({"headers": [(b"authorization", b"Basic abc")]}) is None
