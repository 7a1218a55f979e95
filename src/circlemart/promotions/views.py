"""Pages of promotions: the claim centre (claim buttons swap in place with htmx), my coupons
with usable/used/expired tabs, the redeem-a-code form, and flash sales now (buy buttons post
with htmx and go straight to the payment page)."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from circlemart.accounts import selectors as account_selectors
from circlemart.core.errors import DomainError
from circlemart.core.ratelimit import client_ip
from circlemart.core.web import form_error, signed_in_id, viewer_id
from circlemart.promotions import flash_selectors, flash_services, selectors, services
from circlemart.promotions.contracts import CouponTab


class RedeemForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Coupon code"), max_length=64)


def claim_centre(request: HttpRequest) -> HttpResponse:
    coupons = selectors.claimable_coupons(viewer_id=viewer_id(request))
    return render(request, "promotions/claim_centre.html", {"coupons": coupons})


@require_POST
def coupon_claim(request: HttpRequest, template_id: int) -> HttpResponse:
    """htmx: claim and answer the coupon's card again (with the refusal, if any)."""
    if viewer_id(request) is None:
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = (
                f"{reverse('accounts:login')}?next={reverse('promotions:claim-centre')}"
            )
            return response
        return redirect_to_login(reverse("promotions:claim-centre"))
    user_id = signed_in_id(request)
    error, status = "", 200
    try:
        services.coupon_claim(user_id=user_id, template_id=template_id)
    except DomainError as refusal:
        error, status = str(refusal.message), refusal.status
    coupon = selectors.claimable_coupon(template_id=template_id, viewer_id=user_id)
    if coupon is None:
        raise Http404(_("This coupon does not exist."))
    if not getattr(request, "htmx", False):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Coupon claimed. Find it under My coupons."))
        return redirect("promotions:claim-centre")
    context = {"coupon": coupon, "error": error, "just_claimed": not error}
    return render(request, "promotions/partials/claimable.html", context, status=status)


@login_required
def my_coupons(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab") or CouponTab.USABLE
    if tab not in CouponTab.values:
        tab = CouponTab.USABLE
    owner_id = signed_in_id(request)
    try:
        page = selectors.my_coupons(
            owner_id=owner_id, tab=tab, cursor=request.GET.get("cursor") or None, limit=20
        )
    except DomainError as refusal:
        return HttpResponse(str(refusal.message), status=400, content_type="text/plain")
    counts = selectors.my_coupon_counts(owner_id=owner_id)
    tabs = [(str(value), str(label), counts[str(value)]) for value, label in CouponTab.choices]
    context = {"page": page, "tab": tab, "tabs": tabs}
    if getattr(request, "htmx", False) and request.GET.get("cursor"):
        return render(request, "promotions/partials/my_coupon_items.html", context)
    return render(request, "promotions/my_coupons.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def redeem(request: HttpRequest) -> HttpResponse:
    form = RedeemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.coupon_redeem(user_id=signed_in_id(request), code=form.cleaned_data["code"])
        except DomainError as refusal:
            form_error(form, refusal)
        else:
            messages.success(request, _("Code redeemed: the coupon is in My coupons."))
            return redirect("promotions:my-coupons")
    status = 400 if form.errors else 200
    return render(request, "promotions/redeem.html", {"form": form}, status=status)


# --- flash sales ------------------------------------------------------------------------------


def flash_now(request: HttpRequest) -> HttpResponse:
    """Live and upcoming flash sessions with countdowns (static/promotions/flash.js)."""
    sessions = flash_selectors.flash_sessions_now()
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
        ref = flash_services.flash_buy(
            buyer_id=user_id,
            item_id=item_id,
            quantity=1,
            address_id=account_selectors.default_address_id(user_id),
            idempotency_key=token,
            ip=client_ip(request),
            return_url=reverse("orders:detail", args=["NUMBER"]).replace("NUMBER", "{number}"),
        )
    except DomainError as refusal:
        offer = flash_selectors.flash_offer(item_id)
        if offer is None:
            raise Http404(_("This flash sale does not exist.")) from None
        if not getattr(request, "htmx", False):
            messages.error(request, str(refusal.message))
            return redirect("promotions:flash-now")
        context = {"offer": offer, "error": str(refusal.message), "buy_token": token}
        return render(
            request, "promotions/partials/flash_offer.html", context, status=refusal.status
        )
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = ref.payment_url
        return response
    return redirect(ref.payment_url)
