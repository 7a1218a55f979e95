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
