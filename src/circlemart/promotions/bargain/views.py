"""Bargain pages: the deals open now, a deal's page (start a bargain), and a bargain's share
page — progress, helpers, countdown, a "help cut" button for friends and "buy now" for the
starter. Buttons post with htmx and swap the bargain's panel in place (or go straight to the
payment page); without JavaScript they post and redirect with a message."""

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
from circlemart.promotions.bargain import errors, selectors, services
from circlemart.promotions.bargain.contracts import BargainView
from circlemart.promotions.coupons.calculation import money


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _to_sign_in(request: HttpRequest, here: str) -> HttpResponse:
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{reverse('accounts:login')}?next={here}"
        return response
    return redirect_to_login(here)


def _view_or_404(request: HttpRequest, bargain_id: int) -> BargainView:
    view = selectors.bargain_view(bargain_id=bargain_id, viewer_id=viewer_id(request))
    if view is None:
        raise Http404(_("This bargain does not exist."))
    return view


def _panel(
    request: HttpRequest, view: BargainView, *, status: int = 200, error: str = "", note: str = ""
) -> HttpResponse:
    context = {
        "bargain": view,
        "error": error,
        "note": note,
        "buy_token": secrets.token_urlsafe(16),
    }
    return render(request, "promotions/partials/bargain_panel.html", context, status=status)


def bargain_deals(request: HttpRequest) -> HttpResponse:
    deals = selectors.bargain_deals_live()
    return render(request, "promotions/bargain_deals.html", {"deals": deals})


def bargain_deal(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = selectors.bargain_deal(deal_id)
    if deal is None:
        raise Http404(_("This bargain deal does not exist."))
    user_id = viewer_id(request)
    mine = (
        selectors.live_bargain_of(deal_id=deal_id, starter_id=user_id)
        if user_id is not None
        else None
    )
    return render(request, "promotions/bargain_deal.html", {"deal": deal, "my_bargain_id": mine})


@require_POST
def bargain_start(request: HttpRequest, deal_id: int) -> HttpResponse:
    here = reverse("promotions:bargain-deal", args=[deal_id])
    if viewer_id(request) is None:
        return _to_sign_in(request, here)
    try:
        ref = services.bargain_start(deal_id=deal_id, starter_id=signed_in_id(request))
    except DomainError as refusal:
        if refusal.code == errors.BARGAIN_DEAL_NOT_FOUND:
            raise Http404(str(refusal.message)) from None
        messages.error(request, str(refusal.message))
        existing = refusal.extra.get("bargain_id")
        target = reverse("promotions:bargain", args=[existing]) if existing is not None else here
    else:
        messages.success(request, _("Bargain started! Share this page: each friend cuts once."))
        target = reverse("promotions:bargain", args=[ref.bargain_id])
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def bargain_detail(request: HttpRequest, bargain_id: int) -> HttpResponse:
    view = _view_or_404(request, bargain_id)
    share_url = request.build_absolute_uri(reverse("promotions:bargain", args=[bargain_id]))
    context = {"bargain": view, "share_url": share_url, "buy_token": secrets.token_urlsafe(16)}
    return render(request, "promotions/bargain_detail.html", context)


@require_POST
def bargain_help(request: HttpRequest, bargain_id: int) -> HttpResponse:
    """htmx: cut, then answer the bargain's panel again with what happened."""
    here = reverse("promotions:bargain", args=[bargain_id])
    if viewer_id(request) is None:
        return _to_sign_in(request, here)
    error, note, status = "", "", 200
    try:
        ref = services.bargain_help(
            bargain_id=bargain_id, helper_id=signed_in_id(request), ip=client_ip(request)
        )
    except DomainError as refusal:
        if refusal.code == errors.BARGAIN_NOT_FOUND:
            raise Http404(str(refusal.message)) from None
        error, status = str(refusal.message), refusal.status
    else:
        note = _("You cut %(amount)s off. Thank you!") % {"amount": money(ref.cut, ref.currency)}
    if not _is_htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, note)
        return redirect(here)
    return _panel(request, _view_or_404(request, bargain_id), status=status, error=error, note=note)


@require_POST
def bargain_buy(request: HttpRequest, bargain_id: int) -> HttpResponse:
    """htmx: buy at the price reached, then off to the payment page (HX-Redirect); a refusal
    answers the panel again with the message. The form's token makes a double click one
    order."""
    here = reverse("promotions:bargain", args=[bargain_id])
    if viewer_id(request) is None:
        return _to_sign_in(request, here)
    user_id = signed_in_id(request)
    token = request.POST.get("token", "")[:64]
    try:
        ref = services.bargain_buy(
            buyer_id=user_id,
            bargain_id=bargain_id,
            address_id=account_selectors.default_address_id(user_id),
            idempotency_key=token,
            return_url=reverse("orders:detail", args=["NUMBER"]).replace("NUMBER", "{number}"),
        )
    except DomainError as refusal:
        if refusal.code == errors.BARGAIN_NOT_FOUND:
            raise Http404(str(refusal.message)) from None
        if not _is_htmx(request):
            messages.error(request, str(refusal.message))
            return redirect(here)
        view = _view_or_404(request, bargain_id)
        return _panel(request, view, status=refusal.status, error=str(refusal.message))
    # The payment page, or the order's page when the payment could not start (it says why).
    target = ref.payment_url or reverse("orders:detail", args=[ref.order_number])
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)
