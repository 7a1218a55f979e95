"""What social does when moderation decides: approved content shows, rejected content is
visible to its author only, with the reason (idempotent: state is set, not toggled)."""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.moderation.events import ContentApproved, ContentRejected
from circlemart.social import services


def _apply(content_type: str, content_id: int, *, approved: bool, reason: str) -> None:
    if content_type == "note":
        services.note_moderation_decided(note_id=content_id, approved=approved, reason=reason)
    elif content_type == "comment":
        services.comment_moderation_decided(comment_id=content_id, approved=approved, reason=reason)
    elif content_type == "circle":
        services.circle_moderation_decided(circle_id=content_id, approved=approved, reason=reason)


@handles(ContentApproved)
def show_approved_content(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, ContentApproved)
    _apply(event.content_type, event.content_id, approved=True, reason="")


@handles(ContentRejected)
def hide_rejected_content(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, ContentRejected)
    _apply(event.content_type, event.content_id, approved=False, reason=event.reason)
