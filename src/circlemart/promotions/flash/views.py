"""Flash-sale pages: flash sales now (buy buttons post with htmx and go straight to the
payment page)."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circlemart.accounts import selectors as account_selectors
from circlemart.core.errors import DomainError
from circlemart.core.ratelimit import client_ip
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.promotions.flash import selectors, services


def flash_now(request: HttpRequest) -> HttpResponse:
    """Live and upcoming flash sessions with countdowns (static/promotions/flash.js)."""
    sessions = selectors.flash_sessions_now()
    return render(
        request,
        "promotions/flash_now.html",
        {"sessions": sessions, "buy_token": secrets.token_urlsafe(16)},
    )


@require_POST
def flash_buy(request: HttpRequest, item_id: int) -> HttpResponse:
    """htmx: buy now, then off to the payment page (HX-Redirect); a refusal answers the
    offer's card again with the message. The form's token makes a double click one order."""
    here = reverse("promotions:flash-now")
    if viewer_id(request) is None:
        login = f"{reverse('accounts:login')}?next={here}"
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login
            return response
        return redirect_to_login(here)
    user_id = signed_in_id(request)
    token = request.POST.get("token", "")[:64]
    try:
        ref = services.flash_buy(
            buyer_id=user_id,
            item_id=item_id,
            quantity=1,
            address_id=account_selectors.default_address_id(user_id),
            idempotency_key=token,
            ip=client_ip(request),
            return_url=reverse("orders:detail", args=["NUMBER"]).replace("NUMBER", "{number}"),
        )
    except DomainError as refusal:
        offer = selectors.flash_offer(item_id)
        if offer is None:
            raise Http404(_("This flash sale does not exist.")) from None
        if not getattr(request, "htmx", False):
            messages.error(request, str(refusal.message))
            return redirect("promotions:flash-now")
        context = {"offer": offer, "error": str(refusal.message), "buy_token": token}
        return render(
            request, "promotions/partials/flash_offer.html", context, status=refusal.status
        )
    # The payment page, or the order's page when the payment could not start (it says why).
    target = ref.payment_url or reverse("orders:detail", args=[ref.order_number])
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)
