"""Pricing rules and commit hooks growth registers (points at checkout, level benefits): each
mechanism registers its own in its rules module, imported here by the app's ready()."""

from __future__ import annotations

# One import per mechanism that changes prices (each module calls register_rule itself).
from circlemart.growth.levels import rules as levels_rules  # noqa: F401
from circlemart.growth.points import rules as points_rules  # noqa: F401
