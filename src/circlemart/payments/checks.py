"""Start-up checks: the payment providers and the webhook transport resolve and make sense, and
(`check --deploy`) no production configuration takes orders through the test gateway."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from circlemart.payments.providers import TEST_GATEWAY, load_provider, provider_path
from circlemart.payments.providers.credentials import secret_setting
from circlemart.payments.transports import load_transport


def _provider_problems() -> list[CheckMessage]:
    found: list[CheckMessage] = []
    names: set[str] = set()
    for entry in settings.PAYMENT_PROVIDERS:
        try:
            provider = load_provider(provider_path(entry))
        except (ImproperlyConfigured, ImportError, TypeError, AttributeError) as exc:
            found.append(
                Error(
                    f"PAYMENT_PROVIDERS entry {entry!r}: {exc}",
                    hint="A built-in name (test_gateway, alipay, wechatpay, stripe) with its "
                    "settings, or the dotted path of a PaymentProvider class.",
                    id="payments.E001",
                )
            )
            continue
        if provider.name in names:
            found.append(
                Error(f"PAYMENT_PROVIDERS names {provider.name!r} twice.", id="payments.E006")
            )
        names.add(provider.name)
    if not settings.PAYMENT_PROVIDERS:
        found.append(
            Warning(
                "No payment provider is enabled: buyers cannot pay.",
                hint="Set PAYMENT_PROVIDERS, e.g. alipay,wechatpay,stripe (docs/configuration.md).",
                id="payments.W001",
            )
        )
    return found


@register()
def check_payment_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    found = _provider_problems()
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


@register(Tags.security, deploy=True)
def check_no_test_payments_in_production(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """The test gateway marks orders paid with no money moved: never in a deployment."""
    found: list[CheckMessage] = []
    if TEST_GATEWAY in settings.PAYMENT_PROVIDERS or any(
        provider_path(entry).endswith(".TestGatewayProvider")
        for entry in settings.PAYMENT_PROVIDERS
    ):
        found.append(
            Error(
                "PAYMENT_PROVIDERS includes the test gateway: anyone can pay orders with no "
                "money moved.",
                hint="Use real providers (alipay, wechatpay, stripe) in production.",
                id="payments.E010",
            )
        )
    if settings.PAYMENTS_TEST_MODE:
        found.append(
            Error(
                "PAYMENTS_TEST_MODE is on: the test gateway's pay page and test controls exist.",
                hint="Unset PAYMENTS_TEST_MODE in production.",
                id="payments.E011",
            )
        )
    return found + _sandbox_warnings()


def _sandbox_warnings() -> list[CheckMessage]:
    """Real providers pointed at their sandboxes take no real money either."""
    enabled = set(settings.PAYMENT_PROVIDERS)
    found: list[CheckMessage] = []
    try:
        stripe_key = secret_setting("STRIPE_SECRET_KEY", provider="Stripe")
    except ImproperlyConfigured:
        stripe_key = ""  # reported by the provider's own check
    if "stripe" in enabled and stripe_key.startswith(("sk_test_", "rk_test_")):
        found.append(
            Warning(
                "STRIPE_SECRET_KEY is a test-mode key: card payments move no real money.",
                id="payments.W010",
            )
        )
    if "alipay" in enabled and settings.ALIPAY_SANDBOX:
        found.append(
            Warning("ALIPAY_SANDBOX is on: Alipay payments move no real money.", id="payments.W011")
        )
    return found
