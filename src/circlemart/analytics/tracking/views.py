"""The tracking banner's answer: accept or decline, then back to the page it was given on."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from circlemart.analytics.tracking import consent, services
from circlemart.analytics.tracking.consent import Choice
from circlemart.analytics.tracking.middleware import (
    ANONYMOUS_COOKIE,
    VISIT_COOKIE,
    VISIT_COOKIE_MAX_AGE,
    own_hosts,
    set_anonymous_cookie,
    valid_anonymous_id,
)
from circlemart.analytics.tracking.sources import source_classify
from circlemart.core import clock
from circlemart.core.web import viewer_id


def _landing_query(path: str) -> dict[str, str]:
    return QueryDict(path.partition("?")[2]).dict()


@require_POST
def consent_answer(request: HttpRequest) -> HttpResponse:
    """Record the answer (by user and/or anonymous id, and in the cm_consent cookie). On
    accept the visit starts here, classified by the page the banner was shown on and that
    page's referrer (the banner form carries both), so the landing source is not lost."""
    allowed = request.POST.get("choice") == "allow"
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    user_id = viewer_id(request)
    anonymous_id = request.COOKIES.get(ANONYMOUS_COOKIE, "")
    if not valid_anonymous_id(anonymous_id):
        anonymous_id = ""
    cookie_options = {"secure": settings.SESSION_COOKIE_SECURE, "samesite": "Lax"}
    response.set_cookie(
        consent.CONSENT_COOKIE,
        "1" if allowed else "0",
        max_age=consent.CONSENT_COOKIE_MAX_AGE,
        **cookie_options,  # type: ignore[arg-type]
    )
    if not allowed:
        consent.consent_record(allowed=False, user_id=user_id, anonymous_id=anonymous_id)
        consent.remember_choice(request, Choice.DECLINED)
        response.delete_cookie(ANONYMOUS_COOKIE, samesite="Lax")
        response.delete_cookie(VISIT_COOKIE, samesite="Lax")
        return response
    if not anonymous_id:
        anonymous_id = services.new_id()
        set_anonymous_cookie(response, anonymous_id)
    consent.consent_record(allowed=True, user_id=user_id, anonymous_id=anonymous_id)
    consent.remember_choice(request, Choice.ALLOWED)
    landing = request.POST.get("landing", "")[:500]
    visit = services.visit_resolve(
        cookie_value=request.COOKIES.get(VISIT_COOKIE, ""),
        anonymous_id=anonymous_id,
        user_id=user_id,
        now=clock.now(),
        source=source_classify(
            query=_landing_query(landing),
            referrer=request.POST.get("referrer", "")[:1000],
            own_hosts=own_hosts(request),
        ),
        landing_path=landing,
        user_agent=request.headers.get("User-Agent", ""),
    )
    response.set_cookie(
        VISIT_COOKIE,
        services.visit_cookie_value(visit),
        max_age=VISIT_COOKIE_MAX_AGE,
        httponly=True,
        **cookie_options,  # type: ignore[arg-type]
    )
    return response
