"""HTML fragments of the recommendation surfaces under /rec/, loaded by htmx after the page
(the anonymous page caches of home and product stay as they are): the home "for you" grid with
onboarding interests, a product's similar / bought-together / friends sections, cart add-ons,
"buy again", and the personalisation switch of the account settings. Reads go through the
serving selectors, writes through recommend's services."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from circlemart.cart import selectors as cart_selectors
from circlemart.cart.session import current_cart_id
from circlemart.catalog import selectors as catalog_selectors
from circlemart.catalog.contracts import ProductCard
from circlemart.core.errors import DomainError
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.recommend.contracts import Reason, RecommendationList
from circlemart.recommend.selectors import surfaces
from circlemart.recommend.services import impressions, preferences, session
from circlemart.recommend.serving.viewer import interests_of

FOR_YOU_PAGE = 20  # whole rows at 2, 4 and 5 columns (phone, tablet, desktop)
FOR_YOU_PAGES = 10  # the grid ends after 200 products
SIMILAR_COUNT = 10
BOUGHT_TOGETHER_COUNT = 5
FRIENDS_COUNT = 10
CART_ADDONS_COUNT = 10
BUY_AGAIN_STRIP = 5
BUY_AGAIN_PAGE = 20
LIST_PARAMETER = "rl"  # ?rl=<list id>&rp=<position> on a recommended product's link
POSITION_PARAMETER = "rp"


# --- shared with the API ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServedCard:
    """One recommended product as shown: its card, its place in the served list, why."""

    card: ProductCard
    position: int
    reason: Reason | None


def session_key_of(request: HttpRequest, *, create: bool = False) -> str:
    """The browsing session the re-ranking follows (and anonymous impressions and clicks are
    tied to); a bearer-token caller has none, so its account stands in for it."""
    store = getattr(request, "session", None)
    if store is not None:
        if store.session_key is None and create:
            store.save()
            store.modified = True  # so the middleware sends the new session's cookie
        if store.session_key:
            return str(store.session_key)
    user_id = viewer_id(request)
    return f"user:{user_id}" if user_id is not None else ""


def anonymous_id_of(request: HttpRequest) -> str:
    """What the served lists logged for this visitor (see surfaces.anonymous_id_for)."""
    return surfaces.anonymous_id_for(session_key_of(request))


def served_cards(served: RecommendationList) -> list[ServedCard]:
    """The list's products as cards, in the served order; a product that went off sale since
    the list was computed is left out, and the others keep their logged positions."""
    cards = {
        card.id: card
        for card in catalog_selectors.product_cards([item.object_id for item in served.items])
    }
    return [
        ServedCard(card=cards[item.object_id], position=position, reason=item.reason)
        for position, item in enumerate(served.items)
        if item.object_id in cards
    ]


# --- fragments --------------------------------------------------------------------------------


def _page_data(
    served: RecommendationList, shown: Sequence[ServedCard], *, with_reasons: bool
) -> str:
    """What static/recommend/rec.js needs to add the list's link parameters and the reasons
    to the storefront's cards (the card partial is shared with every listing)."""
    return json.dumps(
        {
            "list": served.list_id,
            "items": [
                [
                    entry.card.id,
                    entry.position,
                    entry.reason.label if entry.reason and with_reasons else "",
                ]
                for entry in shown
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _list_context(served: RecommendationList, *, with_reasons: bool = True) -> dict[str, Any]:
    shown = served_cards(served)  # the selectors logged the impressions
    return {
        "served": served,
        "entries": shown,
        "page_data": _page_data(served, shown, with_reasons=with_reasons),
    }


def _bounded_page(request: HttpRequest) -> int:
    raw = request.GET.get("page", "0")
    return min(int(raw), FOR_YOU_PAGES) if raw.isdigit() and len(raw) < 4 else 0


@require_GET
def for_you(request: HttpRequest) -> HttpResponse:
    """The home grid, a page at a time (`?page=n`, infinite scroll)."""
    return _for_you_page(request, page=_bounded_page(request))


def _for_you_page(request: HttpRequest, *, page: int, error: str = "") -> HttpResponse:
    if page >= FOR_YOU_PAGES:
        return HttpResponse("")
    user_id = viewer_id(request)
    served = surfaces.for_you(
        viewer_id=user_id,
        # A visitor's first list opens the session its clicks will be matched against.
        session_key=session_key_of(request, create=True),
        limit=FOR_YOU_PAGE,
        offset=page * FOR_YOU_PAGE,
    )
    context = _list_context(served)
    has_more = len(served.items) == FOR_YOU_PAGE and page + 1 < FOR_YOU_PAGES
    context["more_url"] = f"{reverse('recommend:for-you')}?page={page + 1}" if has_more else ""
    if page > 0:
        return render(request, "recommend/partials/for_you_more.html", context)
    context.update(_onboarding_context(user_id, served), interests_error=error)
    return render(request, "recommend/partials/for_you.html", context)


def _onboarding_context(user_id: int | None, served: RecommendationList) -> dict[str, Any]:
    """A signed-in shopper the model does not know yet, who has picked no interests and
    keeps personalisation on, is asked what they like."""
    is_personalised = surfaces.is_personalised_for(user_id) if user_id is not None else False
    needs_interests = (
        user_id is not None
        and is_personalised
        and not served.is_personalised
        and not interests_of(user_id)
    )
    return {
        "signed_in": user_id is not None,
        "personalisation_off": user_id is not None and not is_personalised,
        "ask_interests": needs_interests,
        "categories": catalog_selectors.category_tree() if needs_interests else [],
    }


@login_required
@require_POST
def interests(request: HttpRequest) -> HttpResponse:
    """Onboarding: the categories picked under the empty for-you grid; answers the grid."""
    picked = [int(value) for value in request.POST.getlist("category") if value.isdigit()]
    if not picked:
        return _for_you_page(request, page=0, error=_("Pick at least one category."))
    try:
        preferences.interests_set(user_id=signed_in_id(request), category_ids=picked[:20])
    except DomainError as refusal:
        return _for_you_page(request, page=0, error=str(refusal.message))
    if not _is_htmx(request):  # a plain form post (no script): back to the home page
        return redirect(f"{reverse('storefront:home')}#for-you")
    return _for_you_page(request, page=0)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_GET
def product_sections(request: HttpRequest, product_id: int) -> HttpResponse:
    """The product page's "similar", "frequently bought together" and "friends bought or
    liked" sections (the product body is cached for everyone, so they come apart)."""
    user_id = viewer_id(request)
    key = session_key_of(request)
    similar = surfaces.similar(
        product_id=product_id, viewer_id=user_id, session_key=key, limit=SIMILAR_COUNT
    )
    together = surfaces.bought_together(
        product_id=product_id, viewer_id=user_id, session_key=key, limit=BOUGHT_TOGETHER_COUNT
    )
    friends = (
        surfaces.friends_activity(viewer_id=user_id, product_id=product_id, limit=FRIENDS_COUNT)
        if user_id is not None
        else None
    )
    context = {
        "product_id": product_id,
        # On the product's own page the heading says why ("similar to this one").
        "similar": _list_context(similar, with_reasons=False),
        "together": _list_context(together, with_reasons=False),
        "friends": _list_context(friends) if friends is not None else None,
    }
    return render(request, "recommend/partials/product_sections.html", context)


def _click_from(request: HttpRequest) -> tuple[str, int] | None:
    """The list and position a recommended link carried to this product page (htmx names
    the page in HX-Current-URL; the cached page itself cannot)."""
    query = parse_qs(urlsplit(request.headers.get("HX-Current-URL", "")).query)
    list_id = query.get(LIST_PARAMETER, [""])[0]
    position = query.get(POSITION_PARAMETER, [""])[0]
    if not list_id or not position.isdigit() or len(position) > 4:
        return None
    return list_id[:64], int(position)


@require_POST
def product_seen(request: HttpRequest, product_id: int) -> HttpResponse:
    """Sent once by the product page: the session's trail for re-ranking the next page,
    and the click when a recommendation led here. Answers 204 (nothing to swap)."""
    user_id = viewer_id(request)
    # Nothing is kept for a viewer who turned personalisation off (session_record checks).
    session.session_record(
        session_key=session_key_of(request, create=True),
        viewer_id=user_id,
        product_id=product_id,
        kind="view",
    )
    click = _click_from(request)
    if click is not None:
        impressions.click_record(
            list_id=click[0],
            position=click[1],
            object_id=product_id,
            viewer_id=user_id,
            anonymous_id=anonymous_id_of(request),
        )
    return HttpResponse(status=204)


@require_GET
def cart_addons(request: HttpRequest) -> HttpResponse:
    """ "You may also need": add-ons to what is in the viewer's cart."""
    cart = cart_selectors.cart_view(current_cart_id(request))
    product_ids = list(dict.fromkeys(line.product_id for line in cart.lines))
    if not product_ids:
        return HttpResponse("")
    served = surfaces.cart_addons(
        product_ids=product_ids,
        viewer_id=viewer_id(request),
        session_key=session_key_of(request),
        limit=CART_ADDONS_COUNT,
    )
    return render(request, "recommend/partials/cart_addons.html", _list_context(served))


@require_GET
def buy_again_strip(request: HttpRequest) -> HttpResponse:
    """The "me" hub's "buy again" row (nothing for visitors or when there is nothing)."""
    user_id = viewer_id(request)
    if user_id is None:
        return HttpResponse("")
    served = surfaces.buy_again(
        viewer_id=user_id, session_key=session_key_of(request), limit=BUY_AGAIN_STRIP
    )
    return render(request, "recommend/partials/buy_again_strip.html", _list_context(served))


@login_required
@require_GET
def buy_again_page(request: HttpRequest) -> HttpResponse:
    served = surfaces.buy_again(
        viewer_id=signed_in_id(request), session_key=session_key_of(request), limit=BUY_AGAIN_PAGE
    )
    return render(request, "recommend/buy_again.html", _list_context(served))


@login_required
@require_http_methods(["GET", "POST"])
def personalisation(request: HttpRequest) -> HttpResponse:
    """The account settings' "personalised recommendations" switch (PIPL art. 24)."""
    user_id = signed_in_id(request)
    saved = False
    if request.method == "POST":
        preferences.personalisation_set(
            user_id=user_id, is_personalised=request.POST.get("is_personalised") == "on"
        )
        if not _is_htmx(request):  # a plain form post (no script): back to the settings
            return redirect(f"{reverse('accounts:profile-edit')}#personalisation")
        saved = True
    context = {"is_personalised": surfaces.is_personalised_for(user_id), "saved": saved}
    return render(request, "recommend/partials/personalisation.html", context)
