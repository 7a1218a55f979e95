"""Serving the live rooms: the pages' Content-Security-Policy (websocket and media sources),
hls.js as a static file, and the deploy checks about the channel layer and the websocket URL."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.http import HttpResponse
from django.test import RequestFactory

from circlemart.core.middleware import ContentSecurityPolicyMiddleware, websocket_origin
from circlemart.live.staticfiles import STATIC_PATH, HlsJsFinder, hls_js_available

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
FAN_OUT = {"default": {"BACKEND": "circlemart.live.channel_layers.FanOutInMemoryChannelLayer"}}
REDIS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379/12"]},
    }
}


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def policy_for(path: str, *, secure: bool = False, host: str = "127.0.0.1:8000") -> str:
    request = RequestFactory().get(path, HTTP_HOST=host, secure=secure)
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("page"))
    return str(middleware(request)["Content-Security-Policy"])


# --- Content-Security-Policy -----------------------------------------------------------------


def test_live_pages_may_open_the_configured_websocket_and_play_any_https_media(settings):
    settings.LIVE_WEBSOCKET_URL = "ws://127.0.0.1:8001"
    strict = directives(policy_for("/"))
    live = directives(policy_for("/live/7/"))

    assert live["connect-src"] == "'self' ws://127.0.0.1:8001 ws://127.0.0.1:8000 https:"
    assert live["media-src"] == "'self' https: blob:"
    assert live["worker-src"] == "'self' blob:"
    # Everything else is the strict policy of every shopper page (same nonce form).
    changed = {"connect-src", "media-src", "worker-src"}
    nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{22})'", live["script-src"]).group(1)
    assert live["style-src"] == f"'self' 'nonce-{nonce}'"
    unchanged = {name: value for name, value in live.items() if name not in changed}
    strict_rest = {name: value for name, value in strict.items() if name not in changed}
    assert unchanged.keys() == strict_rest.keys()
    for name in unchanged.keys() - {"script-src", "style-src"}:
        assert unchanged[name] == strict_rest[name], name
    assert "unsafe-inline" not in policy_for("/live/7/")
    assert "unsafe-eval" not in policy_for("/live/7/")


@pytest.mark.parametrize(
    ("path", "secure", "expected"),
    [
        ("/live/", False, "'self' ws://shop.example.com https:"),
        ("/live/7/host/", True, "'self' wss://shop.example.com https:"),
        ("/live/7/sheet/31/", True, "'self' wss://shop.example.com https:"),
    ],
)
def test_on_the_same_origin_the_live_pages_name_their_own_host_over_ws(
    settings, path, secure, expected
):
    settings.LIVE_WEBSOCKET_URL = ""
    settings.ALLOWED_HOSTS = ["shop.example.com"]
    policy = directives(policy_for(path, secure=secure, host="shop.example.com"))
    assert policy["connect-src"] == expected


def test_other_pages_keep_the_strict_policy(settings):
    settings.LIVE_WEBSOCKET_URL = "ws://127.0.0.1:8001"
    for path in ("/", "/products/1/", "/livestream/", "/cart/"):
        policy = directives(policy_for(path))
        assert policy["connect-src"] == "'self'", path
        assert policy["media-src"] == "'self' https:", path
        assert "worker-src" not in policy, path


def test_a_host_the_site_does_not_serve_adds_no_websocket_source(settings):
    settings.LIVE_WEBSOCKET_URL = ""
    settings.ALLOWED_HOSTS = ["shop.example.com"]
    policy = directives(policy_for("/live/7/", host="evil.example;script-src"))
    assert policy["connect-src"] == "'self' https:"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("ws://127.0.0.1:8001", "ws://127.0.0.1:8001"),
        ("wss://live.example.com/ws/", "wss://live.example.com"),
        (" wss://live.example.com ", "wss://live.example.com"),
        ("", ""),
        ("https://live.example.com", ""),
        ("ws://", ""),
    ],
)
def test_the_websocket_origin_of_a_url(url, origin):
    assert websocket_origin(url) == origin


# --- hls.js ------------------------------------------------------------------------------------


def test_hls_js_is_served_from_the_npm_install_with_its_source_map(settings, tmp_path):
    dist = tmp_path / "node_modules" / "hls.js" / "dist"
    dist.mkdir(parents=True)
    settings.LIVE_NPM_DIR = tmp_path
    finder = HlsJsFinder()
    assert not hls_js_available()
    assert finder.find(STATIC_PATH) is None
    assert finder.find(STATIC_PATH, find_all=True) == []
    assert list(finder.list(None)) == []

    (dist / "hls.min.js").write_text("var Hls;\n//# sourceMappingURL=hls.min.js.map\n")
    assert not hls_js_available()  # never the script without its map (collectstatic fails)
    (dist / "hls.min.js.map").write_text("{}")
    finder = HlsJsFinder()
    assert hls_js_available()
    assert finder.find("live/vendor/hls.min.js") == str(dist / "hls.min.js")
    assert finder.find("live/vendor/hls.min.js.map", find_all=True) == [
        str(dist / "hls.min.js.map")
    ]
    assert finder.find("live/vendor/hls.js") is None
    assert finder.find("analytics/vendor/plotly.min.js") is None
    assert sorted(name for name, _storage in finder.list(None)) == [
        "hls.min.js",
        "hls.min.js.map",
    ]


@pytest.mark.slow
@pytest.mark.skipif(not hls_js_available(), reason="hls.js not installed (`make install`)")
def test_collectstatic_hashes_and_serves_hls_js(tmp_path):
    """The real npm copy through the production (manifest) storage, as `serve` collects it."""
    root = Path(__file__).resolve().parents[2]
    code = (
        "from django.contrib.staticfiles.storage import staticfiles_storage as s; "
        "print(s.url('live/vendor/hls.min.js'))"
    )
    environment = {"CIRCLEMART_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "circlemart.config.cli"]
    collected = subprocess.run(
        [*command, "collectstatic", "--noinput", "-v", "0"],
        env=environment,
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert collected.returncode == 0, collected.stderr
    url = subprocess.run(
        [*command, "shell", "--no-imports", "-c", code],
        env=environment,
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert re.fullmatch(r"/static/live/vendor/hls\.min\.[0-9a-f]{12}\.js", url), url
    assert (tmp_path / "static" / url.removeprefix("/static/")).is_file()


# --- deploy checks -----------------------------------------------------------------------------


def deploy_warnings() -> set[str]:
    return {
        message.id
        for message in run_checks(include_deployment_checks=True)
        if message.id in {"core.W002", "core.W004"}
    }


def test_several_live_processes_on_the_in_memory_layer_are_warned_about(settings):
    settings.DEBUG = False
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.LIVE_WORKERS = 1
    assert deploy_warnings() == set()
    settings.LIVE_WORKERS = 4
    assert deploy_warnings() == {"core.W002"}
    settings.CHANNEL_LAYERS = FAN_OUT  # the default: a subclass, in one process too
    assert deploy_warnings() == {"core.W002"}
    settings.CHANNEL_LAYERS = REDIS
    assert deploy_warnings() == set()
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.DEBUG = True
    assert deploy_warnings() == set()


@pytest.mark.parametrize(
    ("site_url", "secure_ssl", "websocket_url", "warned"),
    [
        ("https://shop.example.com", False, "ws://127.0.0.1:8001", True),
        ("http://shop.example.com", True, "ws://live.example.com", True),
        ("https://shop.example.com", True, "wss://live.example.com", False),
        ("https://shop.example.com", True, "", False),
        ("http://127.0.0.1:8000", False, "ws://127.0.0.1:8001", False),
    ],
)
def test_a_ws_url_on_an_https_site_is_warned_about(
    settings, site_url, secure_ssl, websocket_url, warned
):
    settings.SITE_URL = site_url
    settings.SECURE_SSL = secure_ssl
    settings.LIVE_WEBSOCKET_URL = websocket_url
    settings.LIVE_WORKERS = 1
    assert deploy_warnings() == ({"core.W004"} if warned else set())
