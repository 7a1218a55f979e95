"""Binds a new account to its inviter after sign-up, whichever way it signed up (email form,
phone code, social login): the invite landing page left a signed cookie, and the first
signed-in response that carries it binds the account (within INVITE_BIND_WINDOW_HOURS of
its sign-up) and drops the cookie. Accounts knows nothing of invites."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from circlemart.core.errors import DomainError
from circlemart.growth.invites import services
from circlemart.growth.invites.attribution import (
    bind_signals,
    chosen_touch,
    has_invite_cookie,
    touch_forget,
)
from circlemart.growth.invites.contracts import BoundVia

logger = logging.getLogger(__name__)


class InviteBindingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not has_invite_cookie(request):
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not isinstance(user.pk, int):
            return response
        first, last, chosen = chosen_touch(request)
        if chosen is not None:
            try:
                services.invite_bind(
                    invitee_id=user.pk,
                    code=chosen.code,
                    via=BoundVia.WEB,
                    first_touch=first,
                    last_touch=last,
                    signals=bind_signals(request),
                )
            except DomainError as refusal:
                # An older account, one already bound, one's own link: nothing to bind. The
                # cookie goes either way, so the next request does not try again.
                logger.info("invite not bound", extra={"code": refusal.code})
        touch_forget(response)
        return response
