"""The enabled payment providers (PAYMENT_PROVIDERS: names or dotted paths), loaded once.

The buyer picks one of them per payment; stored payments remember theirs by `name`. A provider
that is not enabled any more cannot take new payments, and its webhooks are answered 404.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from circlemart.core.errors import NotFound
from circlemart.payments.providers.base import PaymentProvider

TEST_GATEWAY = "test_gateway"

BUILT_IN_PROVIDERS = {
    TEST_GATEWAY: "circlemart.payments.providers.test_gateway.TestGatewayProvider",
    "alipay": "circlemart.payments.providers.alipay.AlipayProvider",
    "wechatpay": "circlemart.payments.providers.wechatpay.WechatPayProvider",
    "stripe": "circlemart.payments.providers.stripe.StripeProvider",
}

PROVIDER_LABELS: dict[str, Promise] = {
    TEST_GATEWAY: gettext_lazy("Test gateway (no money moves)"),
    "alipay": gettext_lazy("Alipay"),
    "wechatpay": gettext_lazy("WeChat Pay"),
    "stripe": gettext_lazy("Bank card (Stripe)"),
}

# Settings that change what a loaded provider does: the cache is dropped when one changes.
PROVIDER_SETTING_PREFIXES = ("PAYMENT", "ALIPAY_", "WECHATPAY_", "STRIPE_", "SITE_URL")


def provider_path(entry: str) -> str:
    return BUILT_IN_PROVIDERS.get(entry, entry)


@lru_cache(maxsize=16)
def load_provider(path: str) -> PaymentProvider:
    """An instance of the provider class at `path`; raises ImproperlyConfigured, ImportError or
    TypeError when it cannot be used (the start-up check reports those)."""
    provider = import_string(path)()
    if not isinstance(provider, PaymentProvider):
        raise TypeError(f"{path} does not implement PaymentProvider")
    return provider


def usable_providers() -> list[PaymentProvider]:
    """The providers of PAYMENT_PROVIDERS that load, in the order given (the first is
    preselected); a broken one is left out here and reported by the start-up check."""
    found = []
    for entry in settings.PAYMENT_PROVIDERS:
        try:
            found.append(load_provider(provider_path(entry)))
        except (ImproperlyConfigured, ImportError, TypeError, AttributeError):
            continue
    return found


def provider_label(name: str) -> str:
    return str(PROVIDER_LABELS.get(name, name))


def providers_for_currency(currency: str) -> list[PaymentProvider]:
    return [provider for provider in usable_providers() if provider.supports_currency(currency)]


def provider_named(name: str) -> PaymentProvider:
    """The enabled provider called `name` (webhook URLs, stored payments, the buyer's pick)."""
    for provider in usable_providers():
        if provider.name == name:
            return provider
    raise NotFound(_("Unknown payment provider."), code="unknown_provider", field="provider")


def forget_loaded_providers(*, setting: str, **kwargs: Any) -> None:
    """setting_changed receiver (tests and runtime overrides): reload providers next time."""
    if setting.startswith(PROVIDER_SETTING_PREFIXES):
        load_provider.cache_clear()
