"""Resolving @mentions to users (through accounts)."""

from __future__ import annotations

from circlemart.accounts import selectors as account_selectors


def user_ids_by_nickname(nicknames: list[str]) -> list[int]:
    """Ids of active users whose nickname is one of these and unambiguous."""
    return account_selectors.user_ids_by_nicknames(nicknames)
