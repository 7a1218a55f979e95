"""What reviews does when moderation decides on our content (delivered by the outbox)."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.moderation.events import ContentApproved, ContentRejected
from circlemart.reviews import services


@handles(ContentApproved)
def on_content_approved(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, ContentApproved)
    services.moderation_decided(
        content_type=event.content_type, content_id=event.content_id, is_approved=True
    )


@handles(ContentRejected)
def on_content_rejected(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, ContentRejected)
    services.moderation_decided(
        content_type=event.content_type, content_id=event.content_id, is_approved=False
    )
