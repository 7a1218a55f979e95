"""Invite pages: the landing page of an invite link (/growth/i/<code>/), its QR poster, and
"my invites" (/growth/invites/): my code, link, poster, who joined and what I earned."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circlemart.core import poster
from circlemart.core.errors import DomainError, NotFound, ValidationFailed
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.growth.invites import attribution, selectors, services
from circlemart.growth.invites.contracts import (
    BoundVia,
    InvitedFriend,
    Milestone,
    RewardState,
)

PAGE_SIZE = 20


def invite_link(request: HttpRequest, code: str, *, channel: str = "link") -> str:
    path = reverse("growth:invite_landing", args=[code])
    return request.build_absolute_uri(f"{path}?ch={channel}")


def invite_landing(request: HttpRequest, code: str) -> HttpResponse:
    """Who invites me and what I get; remembers the link (signed cookie) through sign-up by
    email or phone. An unknown or disabled inviter's code is a 404, one's own a 400: neither
    remembers anything."""
    viewer = viewer_id(request)
    try:
        row = services.invite_link_opened(raw_code=code, viewer_id=viewer)
    except DomainError as refusal:
        return TemplateResponse(
            request,
            "growth/invites/landing_refused.html",
            {"message": refusal.message},
            status=refusal.status,
        )
    context = {
        "inviter": selectors.inviter_view(row),
        "may_accept": viewer is not None and selectors.may_still_bind(viewer),
        "signed_in": viewer is not None,
    }
    response = TemplateResponse(request, "growth/invites/landing.html", context)
    if viewer is None:
        attribution.touch_remember(
            request, response, attribution.touch_from_request(request, code=row.code)
        )
    attribution.browser_ensure(request, response)
    return response


@require_POST
@login_required
def invite_accept(request: HttpRequest, code: str) -> HttpResponse:
    """A signed-in account, new enough, links itself to the inviter of this code."""
    try:
        bound = services.invite_bind(
            invitee_id=signed_in_id(request),
            code=code,
            via=BoundVia.WEB,
            last_touch=attribution.touch_from_request(request, code=code.upper()[:12]),
            signals=attribution.bind_signals(request),
        )
    except DomainError as refusal:
        messages.error(request, str(refusal.message))
        return redirect("growth:invite_landing", code=code.upper()[:12])
    messages.success(
        request, _("You joined through %(name)s's invitation.") % {"name": bound.inviter_name}
    )
    return redirect("growth:invites")


def invite_poster(request: HttpRequest, code: str) -> HttpResponse:
    """A PNG to share: the inviter's name, what a newcomer gets and a QR code of the link."""
    try:
        row = selectors.live_invite_code(code)
    except (NotFound, ValidationFailed) as missing:
        raise Http404(_("This invite code does not exist.")) from missing
    inviter = selectors.inviter_view(row)
    rewards = inviter.newcomer_rewards
    highlight = ""
    if rewards:
        first = rewards[0]
        highlight = (
            _("%(points)d points") % {"points": first.points}
            if first.kind == "points"
            else first.coupon_name
        )
    png = poster.poster_png(
        poster.PosterContent(
            title=_("%(name)s invites you to Circlemart") % {"name": inviter.nickname},
            subtitle=_("Invite code %(code)s") % {"code": row.code},
            highlight=highlight,
            link=invite_link(request, row.code, channel="poster"),
            caption=_("Scan to join"),
            cover=poster.media_image(inviter.avatar_url),
        )
    )
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


def friend_rows(friends: list[InvitedFriend]) -> list[dict[str, object]]:
    """Each invitee with the labels of the milestones reached and of my reward's state."""
    return [
        {
            "name": friend.masked_name,
            "bound_at": friend.bound_at,
            "steps": [
                {
                    "milestone": milestone,
                    "label": Milestone(milestone).label,
                    "state": friend.reward_states.get(milestone, ""),
                    "state_label": RewardState(friend.reward_states[milestone]).label
                    if milestone in friend.reward_states
                    else "",
                }
                for milestone in friend.milestones
            ],
        }
        for friend in friends
    ]


@login_required
def my_invites(request: HttpRequest) -> HttpResponse:
    user_id = signed_in_id(request)
    response = TemplateResponse(request, "growth/invites/my_invites.html", {})
    browser = attribution.browser_ensure(request, response)
    code = services.invite_code_seen(
        user_id=user_id, ip_digest=attribution.ip_digest(request), browser=browser
    )
    try:
        page = selectors.my_invitees(
            user_id=user_id, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE
        )
    except ValidationFailed:  # a tampered cursor: start from the top
        page = selectors.my_invitees(user_id=user_id, cursor=None, limit=PAGE_SIZE)
    response.context_data = {
        "friends": friend_rows(page.items),
        "next_cursor": page.next_cursor,
        "code": code.code,
        "link": invite_link(request, code.code),
        "poster_url": reverse("growth:invite_poster", args=[code.code]),
        "summary": selectors.invite_summary(user_id),
        "newcomer_rewards": selectors.newcomer_rewards(),
    }
    if getattr(request, "htmx", False) and request.GET.get("cursor"):
        response.template_name = "growth/invites/partials/friends.html"
    return response
