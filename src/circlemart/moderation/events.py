"""Domain events of moderation: a human decision on a piece of content.

Owning apps (social, reviews, accounts) subscribe with @handles and show or hide their
content. The aggregate id is the content ("note:42"), so decisions on the same content are
delivered in the order they were made, even across successive review items.
"""

from __future__ import annotations

from dataclasses import dataclass

from circlemart.core.events import DomainEvent, register_event

AGGREGATE_TYPE = "moderation_item"


@register_event
@dataclass(frozen=True)
class ContentApproved(DomainEvent):
    event_type = "moderation.ContentApproved"
    aggregate_type = AGGREGATE_TYPE

    content_type: str
    content_id: int
    item_id: int

    def aggregate_id(self) -> str:
        return f"{self.content_type}:{self.content_id}"


@register_event
@dataclass(frozen=True)
class ContentRejected(DomainEvent):
    event_type = "moderation.ContentRejected"
    aggregate_type = AGGREGATE_TYPE

    content_type: str
    content_id: int
    item_id: int
    reason: str

    def aggregate_id(self) -> str:
        return f"{self.content_type}:{self.content_id}"
