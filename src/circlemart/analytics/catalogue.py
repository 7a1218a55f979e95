"""The event catalogue: every event the log accepts, who may send it, what it is about,
which properties it carries, and whether it is strictly necessary (recorded even for a
visitor who declined tracking) or needs consent.

An event not in this catalogue is refused. Other apps' events arrive as server events;
clients may send only the client ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Origin(StrEnum):
    CLIENT = "client"
    SERVER = "server"


@dataclass(frozen=True)
class EventSpec:
    name: str
    origin: Origin
    object_type: str = ""  # what object_id names ("" when the event is about nothing)
    # property name → its type ("str", "int", "float", "bool"); anything else is refused
    properties: dict[str, str] = field(default_factory=dict)
    is_necessary: bool = False  # kept without consent: needed to run the contract
    description: str = ""


def _client(name: str, object_type: str, description: str, **properties: str) -> EventSpec:
    return EventSpec(name, Origin.CLIENT, object_type, dict(properties), False, description)


def _server(
    name: str, object_type: str, description: str, *, necessary: bool = False, **properties: str
) -> EventSpec:
    return EventSpec(name, Origin.SERVER, object_type, dict(properties), necessary, description)


_PAGE = {"path": "str", "title": "str", "referrer": "str"}

CATALOGUE: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        # --- client events (sent in batches to /api/v1/events) --------------------------
        _client("page_view", "page", "A page was shown.", **_PAGE),
        _client("product_view", "product", "A product page was shown.", path="str"),
        _client(
            "impression",
            "product",
            "A product card was seen in a list.",
            list="str",
            position="int",
        ),
        _client("click", "product", "A card or link was clicked.", list="str", position="int"),
        _client("add_to_cart", "product", "Added to the cart.", sku="int", quantity="int"),
        _client("search", "", "A search was run.", query="str", results="int"),
        _client("share", "", "Something was shared.", target="str", channel="str"),
        _client("dwell", "page", "Time spent on a page, in milliseconds.", path="str", ms="int"),
        # --- server events (from other apps' domain events, through the outbox) --------
        _server("user_registered", "user", "An account was created.", necessary=True, method="str"),
        _server("user_logged_in", "user", "A user signed in.", method="str"),
        _server(
            "order_placed",
            "order",
            "An order was placed.",
            necessary=True,
            lines="int",
            units="int",
            channel="str",
        ),
        _server(
            "order_paid",
            "order",
            "An order was paid.",
            necessary=True,
            lines="int",
            units="int",
            channel="str",
        ),
        _server(
            "order_cancelled", "order", "An order was cancelled.", necessary=True, reason="str"
        ),
        _server("order_shipped", "order", "An order left the warehouse.", necessary=True),
        _server("order_delivered", "order", "An order reached the buyer.", necessary=True),
        _server("order_completed", "order", "An order was completed.", necessary=True),
        _server(
            "order_refunded",
            "order",
            "Money went back to the buyer.",
            necessary=True,
            fully="bool",
            credit_note="str",  # imported history: the credit note's number
            units="int",
        ),
        _server(
            "product_sold",
            "product",
            "Units of a product were paid for.",
            necessary=True,
            units="int",
            category="int",
            order="str",
        ),
        _server("user_followed", "user", "A user followed another."),
        _server("note_published", "note", "A note was published.", visibility="str"),
        _server("note_liked", "note", "A note was liked.", author="int"),
        _server("note_favourited", "note", "A note was saved.", author="int"),
        _server("note_shared", "note", "A note was shared.", channel="str"),
        _server("comment_posted", "note", "A comment was posted.", author="int"),
        _server("circle_joined", "circle", "A user joined a circle."),
        _server("coupon_claimed", "coupon", "A coupon was claimed."),
        _server("coupon_used", "coupon", "A coupon was used on an order.", order="str"),
        _server("group_joined", "group", "A user joined a group buy.", deal="int"),
        _server(
            "review_published",
            "product",
            "A review was published (again after an unhide: count distinct `review`).",
            rating="int",
            review="int",
        ),
        _server(
            "review_followed_up",
            "product",
            "A follow-up review (追评) was published.",
            review="int",
        ),
        _server("csat_submitted", "order", "A satisfaction survey was answered.", score="int"),
    )
}


def spec_for(name: str) -> EventSpec | None:
    return CATALOGUE.get(name)


def client_event_names() -> list[str]:
    return sorted(name for name, spec in CATALOGUE.items() if spec.origin is Origin.CLIENT)
