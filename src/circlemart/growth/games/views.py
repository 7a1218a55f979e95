"""Game pages: the live games, one game (a wheel drawn as SVG, or a scratch card) with the
player's chances, playing and buying a chance (forms that work without JavaScript; with it,
static/growth/games.js plays through the API and animates the result the server already
decided), and my prizes."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circlemart.core.errors import DomainError
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.growth.games import selectors, services
from circlemart.growth.games.contracts import GameKind, PlayResult, PrizeView

# Alternating slot colours of the wheel (SVG fill attributes, allowed by the CSP).
SLOT_COLOURS = ("#ff6b4a", "#ffd166", "#06d6a0", "#4cc9f0", "#b388eb", "#ff99c8")
WHEEL_CENTRE = 100
WHEEL_RADIUS = 96
LABEL_RADIUS = 62


@dataclass(frozen=True)
class WheelSlot:
    """One slot of the wheel as drawn: a wedge path, its colour, and its label's rotation."""

    prize: PrizeView
    index: int
    path: str
    fill: str
    angle: float  # the slot's centre, degrees clockwise from the pointer at the top


def _point(degrees: float, radius: float) -> tuple[float, float]:
    radians = math.radians(degrees)
    return (
        round(WHEEL_CENTRE + radius * math.sin(radians), 2),
        round(WHEEL_CENTRE - radius * math.cos(radians), 2),
    )


def wheel_slots(prizes: list[PrizeView]) -> list[WheelSlot]:
    """Equal wedges in prize order, slot 0 centred under the pointer."""
    if not prizes:
        return []
    span = 360 / len(prizes)
    slots = []
    for index, prize in enumerate(prizes):
        centre = index * span
        if len(prizes) == 1:
            path = (
                f"M {WHEEL_CENTRE} {WHEEL_CENTRE - WHEEL_RADIUS} "
                f"A {WHEEL_RADIUS} {WHEEL_RADIUS} 0 1 1 {WHEEL_CENTRE - 0.01} "
                f"{WHEEL_CENTRE - WHEEL_RADIUS} Z"
            )
        else:
            start_x, start_y = _point(centre - span / 2, WHEEL_RADIUS)
            end_x, end_y = _point(centre + span / 2, WHEEL_RADIUS)
            large = 1 if span > 180 else 0
            path = (
                f"M {WHEEL_CENTRE} {WHEEL_CENTRE} L {start_x} {start_y} "
                f"A {WHEEL_RADIUS} {WHEEL_RADIUS} 0 {large} 1 {end_x} {end_y} Z"
            )
        colour = SLOT_COLOURS[index % len(SLOT_COLOURS)]
        if index > 0 and index == len(prizes) - 1 and index % len(SLOT_COLOURS) == 0:
            colour = SLOT_COLOURS[2]  # the last slot touches the first: never the same colour
        slots.append(WheelSlot(prize=prize, index=index, path=path, fill=colour, angle=centre))
    return slots


def games(request: HttpRequest) -> HttpResponse:
    return render(request, "growth/games/games.html", {"games": selectors.live_games()})


def _own_result(request: HttpRequest, slug: str) -> PlayResult | None:
    """The play named by ?result=, if it is the viewer's own play of this game."""
    user_id = viewer_id(request)
    raw = request.GET.get("result", "")
    if user_id is None or not raw.isdigit():
        return None
    page = selectors.my_results(user_id=user_id, slug=slug, limit=20)
    return next((item for item in page.items if item.id == int(raw)), None)


def game(request: HttpRequest, slug: str) -> HttpResponse:
    detail = selectors.game_detail(slug=slug, viewer_id=viewer_id(request))
    if detail is None:
        raise Http404(_("This game does not exist."))
    context = {
        "detail": detail,
        "slots": wheel_slots(detail.prizes) if detail.game.kind == GameKind.WHEEL else [],
        "result": _own_result(request, slug),
        "play_key": uuid.uuid4().hex,
        "buy_key": uuid.uuid4().hex,
        "wheel": {"centre": WHEEL_CENTRE, "radius": WHEEL_RADIUS, "label": LABEL_RADIUS},
    }
    return render(request, "growth/games/game.html", context)


def _form_key(request: HttpRequest) -> str:
    """The form's own key (rendered with the page), so a double submit plays once."""
    key = request.POST.get("key", "")
    return key if 0 < len(key) <= 64 and key.isalnum() else uuid.uuid4().hex


@login_required
@require_POST
def play(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        result = services.game_play(
            user_id=signed_in_id(request), slug=slug, idempotency_key=_form_key(request)
        )
    except DomainError as refusal:
        if refusal.status == 404:
            raise Http404(str(refusal.message)) from refusal
        messages.error(request, str(refusal.message))
        return redirect("growth:game", slug=slug)
    return redirect(f"{reverse('growth:game', args=[slug])}?result={result.id}")


@login_required
@require_POST
def buy_chance(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        services.game_chance_buy(
            user_id=signed_in_id(request), slug=slug, idempotency_key=_form_key(request)
        )
    except DomainError as refusal:
        if refusal.status == 404:
            raise Http404(str(refusal.message)) from refusal
        messages.error(request, str(refusal.message))
    else:
        messages.success(request, _("One more chance is yours."))
    return redirect("growth:game", slug=slug)


@login_required
def my_prizes(request: HttpRequest) -> HttpResponse:
    wins_only = request.GET.get("all") != "1"
    try:
        page = selectors.my_results(
            user_id=signed_in_id(request),
            wins_only=wins_only,
            cursor=request.GET.get("cursor") or None,
            limit=20,
        )
    except DomainError as refusal:
        return HttpResponse(str(refusal.message), status=400, content_type="text/plain")
    return render(request, "growth/games/my_prizes.html", {"page": page, "wins_only": wins_only})
