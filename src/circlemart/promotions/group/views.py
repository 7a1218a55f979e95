"""Group-buy pages: a deal (start a group, or join one of its open groups), a group's share
page (members, seats left, countdown, join button, poster), my groups, and the block a product
page loads with htmx (its flash offer and group deals, per viewer: the product body is cached
for everyone)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from circlemart.accounts import selectors as account_selectors
from circlemart.core import poster
from circlemart.core.errors import DomainError
from circlemart.core.money import Money
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.promotions.bargain import selectors as bargain_selectors
from circlemart.promotions.coupons import selectors as coupon_selectors
from circlemart.promotions.flash import selectors as flash_selectors
from circlemart.promotions.group import selectors, services
from circlemart.promotions.group.contracts import GroupOrderRef

RETURN_URL = "/orders/{number}/"


def duration_text(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _sign_in_first(request: HttpRequest, here: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{reverse('accounts:login')}?next={here}"
        return response
    return redirect_to_login(here)


def _to_payment(request: HttpRequest, ref: GroupOrderRef) -> HttpResponse:
    target = ref.payment_url or reverse("orders:detail", args=[ref.order_number])
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def _refused(request: HttpRequest, refusal: DomainError, back: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return render(
            request,
            "promotions/partials/group_error.html",
            {"error": str(refusal.message)},
            status=refusal.status,
        )
    messages.error(request, str(refusal.message))
    return redirect(back)


def deal_page(request: HttpRequest, deal_id: int) -> HttpResponse:
    deal = selectors.deal(deal_id)
    if deal is None:
        raise Http404(_("This group buy does not exist."))
    groups = selectors.open_groups(deal_ids=[deal_id], viewer_id=viewer_id(request))
    return render(
        request,
        "promotions/group_deal.html",
        {
            "deal": deal,
            "groups": groups,
            "time_limit": duration_text(deal.time_limit_minutes),
            "token": secrets.token_urlsafe(16),
        },
    )


def group_page(request: HttpRequest, group_id: int) -> HttpResponse:
    group = selectors.group(group_id, viewer_id=viewer_id(request))
    if group is None:
        raise Http404(_("This group does not exist."))
    deal = selectors.deal(group.deal_id)
    if deal is None:
        raise Http404(_("This group buy does not exist."))
    share = request.build_absolute_uri(reverse("promotions:group", args=[group_id]))
    return render(
        request,
        "promotions/group.html",
        {
            "group": group,
            "deal": deal,
            "share_url": share,
            "empty_seats": range(group.seats_left),
            "token": secrets.token_urlsafe(16),
        },
    )


def _place_from_page(
    request: HttpRequest, *, here: str, place: Callable[..., GroupOrderRef], **target: int
) -> HttpResponse:
    """Open or join from a page: sign in first, then off to the payment page; a refusal
    explains itself in place (htmx) or as a message on `here`."""
    if viewer_id(request) is None:
        return _sign_in_first(request, here)
    user_id = signed_in_id(request)
    try:
        ref = place(
            buyer_id=user_id,
            address_id=account_selectors.default_address_id(user_id),
            idempotency_key=request.POST.get("token", "")[:64],
            return_url=RETURN_URL,
            **target,
        )
    except DomainError as refusal:
        return _refused(request, refusal, here)
    return _to_payment(request, ref)


@require_POST
def group_open(request: HttpRequest, deal_id: int) -> HttpResponse:
    here = reverse("promotions:group-deal", args=[deal_id])
    return _place_from_page(request, here=here, place=services.group_open, deal_id=deal_id)


@require_POST
def group_join(request: HttpRequest, group_id: int) -> HttpResponse:
    here = reverse("promotions:group", args=[group_id])
    return _place_from_page(request, here=here, place=services.group_join, group_id=group_id)


def group_poster(request: HttpRequest, group_id: int) -> HttpResponse:
    """A PNG to share: the product, the group price, seats left and a QR code of the page."""
    group = selectors.group(group_id, viewer_id=viewer_id(request))
    deal = selectors.deal(group.deal_id) if group else None
    if group is None or deal is None:
        raise Http404(_("This group does not exist."))
    png = poster.poster_png(
        poster.PosterContent(
            title=deal.title,
            subtitle=_("%(size)d-person group · %(left)d seats left")
            % {"size": group.size, "left": group.seats_left},
            highlight=str(Money(deal.group_price, deal.currency)),
            link=request.build_absolute_uri(reverse("promotions:group", args=[group_id])),
            caption=_("Scan to join the group"),
            cover=poster.media_image(deal.cover),
        )
    )
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=60"
    return response


@login_required
def my_groups(request: HttpRequest) -> HttpResponse:
    groups = selectors.groups_of_user(signed_in_id(request))
    return render(request, "promotions/my_groups.html", {"groups": groups})


def on_product(request: HttpRequest, product_id: int) -> HttpResponse:
    """htmx: the product's flash offer, bargain deals, and group deals with their open groups,
    for this viewer (join buttons carry this request's CSRF token)."""
    deals = selectors.live_deals(product_id=product_id)
    groups = selectors.open_groups(
        deal_ids=[deal.deal_id for deal in deals], viewer_id=viewer_id(request), limit=5
    )
    return render(
        request,
        "promotions/partials/on_product.html",
        {
            "flash_offer": flash_selectors.flash_offer_for_product(product_id),
            "bargain_deals": bargain_selectors.bargain_deals_live(product_id=product_id),
            "deals": deals,
            "groups": groups,
            "deal_by_id": {deal.deal_id: deal for deal in deals},
            "token": secrets.token_urlsafe(16),
            # The deal strip's "claim coupons" chip: how many the viewer may still claim.
            "claimable_count": sum(
                1
                for coupon in coupon_selectors.claimable_coupons(viewer_id=viewer_id(request))
                if coupon.may_claim
            ),
        },
    )
