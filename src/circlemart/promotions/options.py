"""Reading the checkout options promotions add (flash item, group deal or group, bargain)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from circlemart.core.errors import DomainError


def option_id(
    options: dict[str, Any], key: str, *, invalid: Callable[[], DomainError]
) -> int | None:
    """options[key] as an id (an int or a digit string); blank is no choice, anything else is
    refused with `invalid()` (it reads like an unknown id: a not-found refusal)."""
    raw = options.get(key)
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not (
        isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit())
    ):
        raise invalid()
    return int(raw)
