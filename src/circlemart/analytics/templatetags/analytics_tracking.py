"""`{% tracking %}`: the consent banner for a browser that has not answered (in the page's
flow under the header, so it never covers a button), and the tracker script (track.js) for one
that accepted; `{% tracking_revisit %}`: the footer link to answer again. Reads the request's
answer; decides nothing else."""

from __future__ import annotations

from typing import Any

from django import template

from circlemart.analytics.tracking import consent
from circlemart.analytics.tracking.consent import Choice

register = template.Library()

REVISIT_PARAMETER = "privacy"
REVISIT_VALUE = "choices"


@register.inclusion_tag("analytics/tracking/include.html", takes_context=True)
def tracking(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    if request is None:
        return {"show_banner": False, "allowed": False}
    choice = consent.request_choice(request)
    # ?privacy=choices asks again: an answer is never final.
    asked_again = request.GET.get(REVISIT_PARAMETER) == REVISIT_VALUE
    query = request.GET.copy()
    query.pop(REVISIT_PARAMETER, None)
    here = request.path + (f"?{query.urlencode()}" if query else "")
    return {
        "show_banner": choice is Choice.UNDECIDED or asked_again,
        "allowed": consent.request_tracking_allowed(request),
        "csrf_token": context.get("csrf_token", ""),
        "landing": here,
        "referrer": request.headers.get("Referer", "")[:1000],
    }


@register.inclusion_tag("analytics/tracking/revisit.html", takes_context=True)
def tracking_revisit(context: template.Context) -> dict[str, Any]:
    """The footer link that shows the banner again, for a browser that has answered."""
    request = context.get("request")
    if request is None or consent.request_choice(request) is Choice.UNDECIDED:
        return {"revisit_url": ""}
    return {"revisit_url": f"{request.path}?{REVISIT_PARAMETER}={REVISIT_VALUE}"}
