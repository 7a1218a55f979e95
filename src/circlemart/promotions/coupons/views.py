"""Coupon pages: the claim centre (claim buttons swap in place with htmx), my coupons with
usable/used/expired tabs, and the redeem-a-code form."""

from __future__ import annotations

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

from circlemart.core.errors import DomainError
from circlemart.core.web import form_error, signed_in_id, viewer_id
from circlemart.promotions.coupons import selectors, services
from circlemart.promotions.coupons.contracts import CouponTab


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
