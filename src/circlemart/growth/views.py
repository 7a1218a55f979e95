"""The rewards centre (/growth/): where a shopper finds every growth mechanism — points and
the points mall, level and badges, check-in, tasks, games, invites and the distributor
centre — each with the one figure that makes it worth a tap."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from circlemart.growth.checkin import selectors as checkin_selectors
from circlemart.growth.distribution import selectors as distribution_selectors
from circlemart.growth.games import selectors as games_selectors
from circlemart.growth.invites import selectors as invites_selectors
from circlemart.growth.levels import selectors as levels_selectors
from circlemart.growth.points import selectors as points_selectors
from circlemart.growth.tasks_centre import selectors as tasks_selectors


@login_required
def hub(request: HttpRequest) -> HttpResponse:
    user_id = request.user.pk
    assert user_id is not None  # login_required
    distributor = distribution_selectors.distributor_of(user_id)
    level = levels_selectors.my_level(user_id)
    context = {
        "points": points_selectors.points_summary(user_id),
        "level": level,
        "badges_earned": sum(1 for badge in level.badges if badge.is_earned),
        "checkin": checkin_selectors.checkin_calendar(user_id=user_id),
        "open_claims": tasks_selectors.open_claims(user_id=user_id),
        "games": games_selectors.live_games(),
        "invites": invites_selectors.invite_summary(user_id),
        "distributor": distributor,
        "distribution_balance": (
            distribution_selectors.balance_of(distributor.id) if distributor else None
        ),
    }
    return TemplateResponse(request, "growth/hub.html", context)
