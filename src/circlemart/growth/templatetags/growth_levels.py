"""Template tags of levels for other apps' pages: `{% load growth_levels %}{% profile_badges
person.id %}` shows a member's public badges (social's profile page loads it; social imports
nothing of growth)."""

from __future__ import annotations

from typing import Any

from django import template

from circlemart.growth.levels import selectors

register = template.Library()


@register.inclusion_tag("growth/levels/partials/profile_badges.html")
def profile_badges(user_id: int) -> dict[str, Any]:
    return {"badges": selectors.public_badges(int(user_id))}
