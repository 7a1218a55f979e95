"""Start-up checks: the payment provider and the webhook transport resolve, and make sense."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from circlemart.payments.providers import load_provider
from circlemart.payments.transports import load_transport


@register()
def check_payment_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    try:
        load_provider(settings.PAYMENT_PROVIDER)
    except (ImportError, TypeError, AttributeError) as exc:
        found.append(
            Error(
                f"PAYMENT_PROVIDER {settings.PAYMENT_PROVIDER!r}: {exc}",
                hint="The dotted path of a payments.providers.base.PaymentProvider class.",
                id="payments.E001",
            )
        )
    try:
        load_transport(settings.PAYMENTS_WEBHOOK_TRANSPORT)
    except (ImportError, TypeError, AttributeError) as exc:
        found.append(
            Error(
                f"PAYMENTS_WEBHOOK_TRANSPORT {settings.PAYMENTS_WEBHOOK_TRANSPORT!r}: {exc}",
                hint='"http", "in_process" or a dotted path of a WebhookTransport class.',
                id="payments.E002",
            )
        )
    if settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS <= 0:
        found.append(
            Error("PAYMENTS_WEBHOOK_TOLERANCE_SECONDS must be positive.", id="payments.E003")
        )
    if settings.PAYMENTS_WEBHOOK_MAX_ATTEMPTS < 1 or settings.PAYMENTS_WEBHOOK_TIMEOUT_SECONDS <= 0:
        found.append(
            Error(
                "PAYMENTS_WEBHOOK_MAX_ATTEMPTS and PAYMENTS_WEBHOOK_TIMEOUT_SECONDS must be > 0.",
                id="payments.E004",
            )
        )
    if not settings.PAYMENTS_TEST_GATEWAY_WEBHOOK_SECRET:
        found.append(Error("PAYMENTS_TEST_GATEWAY_WEBHOOK_SECRET is empty.", id="payments.E005"))
    return found
