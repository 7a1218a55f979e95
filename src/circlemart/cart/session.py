"""Which cart a request means: the signed-in user's, else the guest cart named in the session.

A guest who signs in keeps their session (Django carries it over the login), so the first
request after sign-in finds the guest token and merges that cart into the user's."""

from __future__ import annotations

from django.http import HttpRequest

from circlemart.cart import selectors, services
from circlemart.core.web import viewer_id

SESSION_KEY = "cart_guest_token"


def current_cart_id(request: HttpRequest, *, create: bool = False) -> int | None:
    user_id = viewer_id(request)
    session = getattr(request, "session", None)
    token = session.get(SESSION_KEY) if session is not None else None
    if user_id is not None:
        if token and session is not None:
            services.cart_merge(guest_token=token, user_id=user_id)
            del session[SESSION_KEY]
        if create:
            return services.cart_ensure(user_id=user_id)
        return selectors.cart_id_for(user_id=user_id)
    if session is None:
        return None
    if token is None:
        if not create:
            return None
        token = services.new_guest_token()
        session[SESSION_KEY] = token
    if create:
        return services.cart_ensure(guest_token=token)
    return selectors.cart_id_for(guest_token=token)
