"""Points mall pages: items on sale with the shopper's balance, redeeming (a form keyed by
the page, so a double submit redeems once; a gift asks for one of the shopper's addresses),
and my redemptions."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circlemart.accounts import selectors as account_selectors
from circlemart.core.errors import DomainError
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.growth.mall import selectors, services
from circlemart.growth.mall.contracts import ItemKind
from circlemart.growth.points import selectors as points_selectors


def mall(request: HttpRequest) -> HttpResponse:
    user_id = viewer_id(request)
    addresses = (
        list(account_selectors.addresses_of(request.user))  # type: ignore[arg-type]
        if user_id is not None
        else []
    )
    context = {
        "items": selectors.mall_items(viewer_id=user_id),
        "balance": points_selectors.points_balance(user_id) if user_id is not None else None,
        "addresses": addresses,
        "key": uuid.uuid4().hex,
    }
    return render(request, "growth/mall/mall.html", context)


def _form_key(request: HttpRequest) -> str:
    key = request.POST.get("key", "")
    return key if 0 < len(key) <= 64 and key.isalnum() else uuid.uuid4().hex


def _address_id(request: HttpRequest) -> int | None:
    raw = request.POST.get("address_id", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@login_required
@require_POST
def redeem(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        redemption = services.mall_redeem(
            user_id=signed_in_id(request),
            item_id=item_id,
            address_id=_address_id(request),
            idempotency_key=f"{item_id}-{_form_key(request)}",
        )
    except DomainError as refusal:
        if refusal.status == 404 and refusal.field == "item_id":
            raise Http404(str(refusal.message)) from refusal
        messages.error(request, str(refusal.message))
        return redirect("growth:mall")
    if redemption.kind == ItemKind.COUPON:
        messages.success(request, _("Redeemed: the coupon is in My coupons."))
    else:
        messages.success(request, _("Redeemed: we will send the gift to your address."))
    return redirect("growth:mall-redemptions")


@login_required
def my_redemptions(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.my_redemptions(
            user_id=signed_in_id(request), cursor=request.GET.get("cursor") or None, limit=20
        )
    except DomainError as refusal:
        return HttpResponse(str(refusal.message), status=400, content_type="text/plain")
    return render(request, "growth/mall/my_redemptions.html", {"page": page})
