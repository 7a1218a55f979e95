"""Start-up checks of the shared kernel (`circlemart check --deploy`: what production must not
serve)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_api_docs(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if not settings.API_DOCS_ENABLED:
        return []
    return [
        Warning(
            "Swagger UI is served at /api/docs (API_DOCS_ENABLED is on).",
            hint="Set API_DOCS_ENABLED=0 in production (HTTPS=1 turns it off by default); "
            "the schema stays at /api/v1/openapi.json and in docs/openapi.json.",
            id="core.W001",
        )
    ]


def _channel_layer_in_memory() -> bool:
    """channels' in-memory layer or a subclass (circlemart.live.channel_layers)."""
    from channels.layers import InMemoryChannelLayer
    from django.utils.module_loading import import_string

    layers = getattr(settings, "CHANNEL_LAYERS", {}) or {}
    backend = layers.get("default", {}).get("BACKEND", "")
    try:
        layer = import_string(backend)
    except ImportError:
        return False
    return isinstance(layer, type) and issubclass(layer, InMemoryChannelLayer)


@register("live", deploy=True)
def check_live_channel_layer(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """The in-memory channel layer lives inside one process: viewers connected to another
    ASGI process do not see the frames sent there. One process is fine (`circlemart serve`
    refuses --live-workers > 1 without REDIS_URL); LIVE_WORKERS says how many a deployment
    runs behind its proxy."""
    if settings.DEBUG or not _channel_layer_in_memory():
        return []
    if settings.LIVE_WORKERS > 1:
        return [
            Warning(
                f"LIVE_WORKERS is {settings.LIVE_WORKERS} but the channel layer is in-memory: "
                "viewers connected to different websocket processes do not see each other's "
                "chat, likes or pinned products.",
                hint="Set REDIS_URL (the Redis channel layer), or run one websocket process.",
                id="core.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_live_websocket_scheme(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """An https page may not open a ws:// socket (mixed content): the live rooms would not
    connect."""
    url = settings.LIVE_WEBSOCKET_URL.strip().lower()
    https_site = settings.SITE_URL.strip().lower().startswith("https:") or settings.SECURE_SSL
    if not (https_site and url.startswith("ws:")):
        return []
    return [
        Warning(
            f"LIVE_WEBSOCKET_URL is {settings.LIVE_WEBSOCKET_URL!r} (ws://) on an https site: "
            "browsers refuse an unencrypted websocket from an https page.",
            hint="Leave LIVE_WEBSOCKET_URL empty (same origin; the proxy routes /ws/ to the ASGI "
            "service) or set a wss:// URL.",
            id="core.W004",
        )
    ]
