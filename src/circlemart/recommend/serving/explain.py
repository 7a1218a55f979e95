"""Short localised explanations attached to recommended items."""

from __future__ import annotations

from django.utils.translation import gettext as _

from circlemart.recommend.contracts import Reason


def because_viewed(product_id: int, title: str) -> Reason:
    return Reason(
        kind="viewed",
        product_id=product_id,
        label=_("Because you viewed %(title)s") % {"title": title},
    )


def because_session(product_id: int, title: str) -> Reason:
    return Reason(
        kind="session",
        product_id=product_id,
        label=_("Because you viewed %(title)s") % {"title": title},
    )


def similar_to(product_id: int, title: str) -> Reason:
    return Reason(
        kind="similar", product_id=product_id, label=_("Similar to %(title)s") % {"title": title}
    )


def popular_in(category_name: str) -> Reason:
    if not category_name:
        return Reason(kind="popular", label=_("Popular now"))
    return Reason(kind="popular", label=_("Popular in %(category)s") % {"category": category_name})


def interest_in(category_name: str) -> Reason:
    return Reason(kind="interest", label=_("Popular in %(category)s") % {"category": category_name})


def trending() -> Reason:
    return Reason(kind="trending", label=_("Trending now"))


def bought_together(product_id: int | None = None) -> Reason:
    return Reason(kind="bought", product_id=product_id, label=_("Bought together often"))


def friends_bought(count: int) -> Reason:
    if count > 1:
        return Reason(
            kind="friends", label=_("%(count)d of your friends bought this") % {"count": count}
        )
    return Reason(kind="friends", label=_("Your friends bought this"))


def time_to_restock(product_id: int) -> Reason:
    return Reason(kind="repeat", product_id=product_id, label=_("Time to restock?"))


def new_arrival() -> Reason:
    return Reason(kind="new", label=_("New arrival"))
