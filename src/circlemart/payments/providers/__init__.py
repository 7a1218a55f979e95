"""Loading the configured payment provider (PAYMENT_PROVIDER, a dotted path)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from circlemart.core.errors import NotFound
from circlemart.payments.providers.base import PaymentProvider


@lru_cache(maxsize=8)
def load_provider(path: str) -> PaymentProvider:
    provider = import_string(path)()
    if not isinstance(provider, PaymentProvider):
        raise TypeError(f"{path} does not implement PaymentProvider")
    return provider


def payment_provider() -> PaymentProvider:
    return load_provider(settings.PAYMENT_PROVIDER)


def provider_named(name: str) -> PaymentProvider:
    """The configured provider when it is called `name` (webhook URLs, stored payments)."""
    provider = payment_provider()
    if provider.name != name:
        raise NotFound(_("Unknown payment provider."), code="unknown_provider", field="provider")
    return provider
