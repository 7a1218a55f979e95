"""SMS behind an interface. The default provider writes the message to the log (console)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import ClassVar, Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("circlemart.sms")


@runtime_checkable
class SmsProvider(Protocol):
    def send(self, *, phone: str, text: str) -> None:
        """Deliver `text` to `phone` (E.164) or raise; must time out within a few seconds."""


class ConsoleSmsProvider:
    """Development provider: the code shows up in the server log."""

    def send(self, *, phone: str, text: str) -> None:
        logger.warning("SMS to %s: %s", phone, text)


class MemorySmsProvider:
    """Test provider: keeps messages in a list, like Django's mail.outbox."""

    outbox: ClassVar[list[tuple[str, str]]] = []

    def send(self, *, phone: str, text: str) -> None:
        self.outbox.append((phone, text))


@lru_cache(maxsize=4)
def _load(path: str) -> SmsProvider:
    provider = import_string(path)()
    if not isinstance(provider, SmsProvider):
        raise TypeError(f"{path} does not implement SmsProvider")
    return provider


def sms_provider() -> SmsProvider:
    return _load(settings.SMS_PROVIDER)
