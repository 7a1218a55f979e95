"""Start-up checks of invites: the anti-cheat check INVITE_RISK_CHECK names loads and
implements InviteRiskCheck, and the invite settings make sense."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from circlemart.growth.invites.risk import load_risk_check


@register()
def check_invite_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    try:
        load_risk_check(settings.INVITE_RISK_CHECK)
    except (ImportError, TypeError, AttributeError, ValueError) as exc:
        found.append(
            Error(
                f"INVITE_RISK_CHECK {settings.INVITE_RISK_CHECK!r}: {exc}",
                hint="The dotted path of a class with assess(context) -> RiskVerdict "
                "(growth.invites.contracts.InviteRiskCheck).",
                id="growth.E101",
            )
        )
    if settings.INVITE_ATTRIBUTION not in {"first", "last"}:
        found.append(Error('INVITE_ATTRIBUTION must be "first" or "last".', id="growth.E102"))
    numbers = (
        "INVITE_COOKIE_DAYS",
        "INVITE_BIND_WINDOW_HOURS",
        "INVITE_RISK_WINDOW_DAYS",
        "INVITE_DAILY_CAP",
    )
    found.extend(
        Error(f"{name} must be at least 1.", id="growth.E103")
        for name in numbers
        if getattr(settings, name) < 1
    )
    return found
