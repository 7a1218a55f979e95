"""What crosses the accounts boundary: roles and the small views of a user other apps need."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    SHOPPER = "shopper"
    CREATOR = "creator"
    MERCHANT_STAFF = "merchant_staff"
    MODERATOR = "moderator"
    ANALYST = "analyst"
    OPERATOR = "operator"  # growth operations: points, invites, distribution, tasks, games
    ADMIN = "admin"


BACK_OFFICE_ROLES = frozenset(
    {Role.MERCHANT_STAFF, Role.MODERATOR, Role.ANALYST, Role.OPERATOR, Role.ADMIN}
)


@dataclass(frozen=True)
class UserCard:
    """Public face of a user: safe to show anyone."""

    id: int
    nickname: str
    avatar_url: str
    city: str


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_in: int
    refresh_expires_in: int
    token_type: str = "Bearer"  # noqa: S105  (a scheme name, not a secret)


@dataclass(frozen=True)
class ContactSignals:
    """What identifies the person behind an account, as keyed digests only (for fraud rules
    such as invite rings): the canonical email, every phone (the account's and its
    addresses'), every shipping address. Equal digests mean the same value; no plaintext."""

    user_id: int
    email_digest: str
    phone_digests: frozenset[str]
    address_digests: frozenset[str]
