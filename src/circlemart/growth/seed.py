"""Demo data of growth: each mechanism seeds its own part, in an order where later parts can
use earlier ones (points before the points mall, distributors before their commission)."""

from __future__ import annotations

import random


def seed_growth(*, rng: random.Random, user_ids: list[int], progress: bool = True) -> str:
    """Returns a short summary for the seed's last line."""
    parts: list[str] = []
    return ", ".join(parts)
