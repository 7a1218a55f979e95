"""PII encryption at rest: Fernet (AES-128-CBC + HMAC) with key rotation, plus keyed lookups."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=1)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt(plaintext: str) -> str:
    return _cipher(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _cipher(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt a PII column: wrong FIELD_ENCRYPTION_KEYS?") from exc


def lookup_digest(value: str) -> str:
    """Deterministic keyed hash for equality lookups and unique constraints on encrypted data."""
    key = settings.PII_LOOKUP_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Stores ciphertext, hands plaintext to Python. Not searchable: pair with a digest column."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


def mask_phone(phone: str) -> str:
    """+8613812345678 → +86138****5678 (for back-office lists)."""
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:-8]}****{phone[-4:]}"


def mask_nickname(nickname: str) -> str:
    """张三丰 → 张***: another shopper's name, shown without its length."""
    return (nickname[:1] or "") + "***"


def mask_text(text: str, visible: int = 1) -> str:
    if len(text) <= visible:
        return "*" * len(text)
    return text[:visible] + "*" * min(len(text) - visible, 6)
