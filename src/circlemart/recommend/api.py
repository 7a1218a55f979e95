"""The recommendations API (mounted at /api/v1/recommend): each surface as a served list of
product cards with the reason for each, the viewer's personalisation choice and onboarding
interests, and clicks on served items. Product surfaces are open to visitors; personal ones
(for you, cart add-ons, buy again, friends, preferences) need a signed-in caller. The serving
selectors log each list's impressions; a click names the list, the position and the product."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from circlemart.cart import selectors as cart_selectors
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import ratelimit
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.recommend import errors
from circlemart.recommend.contracts import RecommendationList
from circlemart.recommend.schemas import (
    ListLimit,
    ListOffset,
    RecommendationClickIn,
    RecommendationListOut,
    RecommendationPreferencesIn,
    RecommendationPreferencesOut,
)
from circlemart.recommend.selectors import surfaces
from circlemart.recommend.services import impressions, preferences
from circlemart.recommend.serving.viewer import interests_of
from circlemart.recommend.views import anonymous_id_of, served_cards, session_key_of

router = Router(tags=["recommend"])

# Each answer ranks candidates and joins product cards: bounded per caller like search.
RATE_PER_MINUTE = 120


def _throttle(request: HttpRequest) -> None:
    user_id = viewer_id(request)
    caller = f"user:{user_id}" if user_id is not None else f"ip:{ratelimit.client_ip(request)}"
    ratelimit.hit(f"recommend:api:{caller}", limit=RATE_PER_MINUTE, window=60)


def _answer(
    request: HttpRequest, served: RecommendationList, *, offset: int | None = None, limit: int = 0
) -> dict[str, Any]:
    items = [
        {
            **dataclasses.asdict(entry.card),
            "position": entry.position,
            "reason": dataclasses.asdict(entry.reason) if entry.reason else None,
        }
        for entry in served_cards(served)
    ]
    has_more = offset is not None and len(served.items) == limit
    return {
        "list_id": served.list_id,
        "surface": str(served.surface),
        "model_version": served.model_version,
        "is_personalised": served.is_personalised,
        "items": items,
        "next_offset": (offset or 0) + limit if has_more else None,
    }


def _known_product(product_id: int) -> int:
    if not catalog_selectors.product_cards([product_id]):
        raise NotFound(_("Product not found."), code=errors.PRODUCT_NOT_FOUND, field="product_id")
    return product_id


@router.get("/for-you", response=RecommendationListOut, summary="Products for you (home)")
def for_you(
    request: HttpRequest, limit: ListLimit = None, offset: ListOffset = 0
) -> dict[str, Any]:
    _throttle(request)
    bounded = limit or 20
    served = surfaces.for_you(
        viewer_id=signed_in_id(request),
        session_key=session_key_of(request),
        limit=bounded,
        offset=offset,
    )
    return _answer(request, served, offset=offset, limit=bounded)


@router.get(
    "/products/{product_id}/similar",
    response=RecommendationListOut,
    auth=None,
    summary="Products similar to this one",
)
def similar(request: HttpRequest, product_id: int, limit: ListLimit = None) -> dict[str, Any]:
    _throttle(request)
    served = surfaces.similar(
        product_id=_known_product(product_id),
        viewer_id=viewer_id(request),
        session_key=session_key_of(request),
        limit=limit or 12,
    )
    return _answer(request, served)


@router.get(
    "/products/{product_id}/bought-together",
    response=RecommendationListOut,
    auth=None,
    summary="Frequently bought together with this product",
)
def bought_together(
    request: HttpRequest, product_id: int, limit: ListLimit = None
) -> dict[str, Any]:
    _throttle(request)
    served = surfaces.bought_together(
        product_id=_known_product(product_id),
        viewer_id=viewer_id(request),
        session_key=session_key_of(request),
        limit=limit or 6,
    )
    return _answer(request, served)


@router.get(
    "/cart-addons",
    response=RecommendationListOut,
    summary="Add-ons to what is in your cart",
)
def cart_addons(request: HttpRequest, limit: ListLimit = None) -> dict[str, Any]:
    _throttle(request)
    user_id = signed_in_id(request)
    cart = cart_selectors.cart_view(cart_selectors.cart_id_for(user_id=user_id))
    served = surfaces.cart_addons(
        product_ids=list(dict.fromkeys(line.product_id for line in cart.lines)),
        viewer_id=user_id,
        session_key=session_key_of(request),
        limit=limit or 8,
    )
    return _answer(request, served)


@router.get("/buy-again", response=RecommendationListOut, summary="Time to buy these again")
def buy_again(request: HttpRequest, limit: ListLimit = None) -> dict[str, Any]:
    _throttle(request)
    served = surfaces.buy_again(
        viewer_id=signed_in_id(request), session_key=session_key_of(request), limit=limit or 12
    )
    return _answer(request, served)


@router.get(
    "/friends",
    response=RecommendationListOut,
    summary="What your friends bought or liked (optionally: this product)",
)
def friends(
    request: HttpRequest, product_id: int | None = None, limit: ListLimit = None
) -> dict[str, Any]:
    _throttle(request)
    served = surfaces.friends_activity(
        viewer_id=signed_in_id(request),
        product_id=_known_product(product_id) if product_id is not None else None,
        limit=limit or 12,
    )
    return _answer(request, served)


def _preferences(user_id: int) -> dict[str, Any]:
    return {
        "is_personalised": surfaces.is_personalised_for(user_id),
        "interests": interests_of(user_id),
    }


@router.get(
    "/preferences", response=RecommendationPreferencesOut, summary="Your recommendation choices"
)
def preferences_get(request: HttpRequest) -> dict[str, Any]:
    return _preferences(signed_in_id(request))


@router.put(
    "/preferences",
    response=RecommendationPreferencesOut,
    summary="Turn personalised recommendations on or off (PIPL art. 24), set your interests",
)
def preferences_put(request: HttpRequest, payload: RecommendationPreferencesIn) -> dict[str, Any]:
    user_id = signed_in_id(request)
    if payload.interests is not None:
        try:
            preferences.interests_set(user_id=user_id, category_ids=payload.interests)
        except ValidationFailed as refusal:  # the service names its argument, not our field
            raise ValidationFailed(refusal.message, code=refusal.code, field="interests") from None
    if payload.is_personalised is not None:
        preferences.personalisation_set(user_id=user_id, is_personalised=payload.is_personalised)
    return _preferences(user_id)


@router.post(
    "/clicks",
    response={204: None},
    auth=None,
    summary="A click on a served item (unknown lists and positions are ignored)",
)
def click(request: HttpRequest, payload: RecommendationClickIn) -> Status[None]:
    _throttle(request)
    impressions.click_record(
        list_id=payload.list_id.replace("-", ""),
        position=payload.position,
        object_id=payload.object_id,
        viewer_id=viewer_id(request),
        anonymous_id=anonymous_id_of(request),
    )
    return Status(204, None)
