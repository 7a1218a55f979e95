"""What the task centre does when other apps' events arrive: count the proven action towards
the matching tasks. Each handler runs once per event (core.events receipts) and counts its
object once per task and period (TaskStep), so redeliveries and repeats count once. The
period is the day the event happened in GROWTH_TIME_ZONE, not the day it was relayed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from circlemart.accounts.events import ProfileUpdated
from circlemart.core.events import DeliveredEvent, DomainEvent, handles
from circlemart.growth.calendar import growth_day
from circlemart.growth.checkin.events import CheckedIn
from circlemart.growth.tasks_centre.contracts import TaskEvent
from circlemart.growth.tasks_centre.services import task_event_record
from circlemart.orders.events import OrderPaid
from circlemart.reviews.events import ReviewPublished
from circlemart.social.events import (
    CommentPosted,
    NoteLiked,
    NotePublished,
    NoteShared,
    UserFollowed,
)

# What each counted event proves: the task event, and who did it to what (None: nothing).
PROOFS: dict[type[DomainEvent], tuple[TaskEvent, Callable[[Any], tuple[int, str] | None]]] = {
    ProfileUpdated: (
        TaskEvent.PROFILE_COMPLETED,
        lambda event: (event.user_id, "profile") if event.is_complete else None,
    ),
    UserFollowed: (
        TaskEvent.USER_FOLLOWED,
        lambda event: (event.follower_id, f"user:{event.followee_id}"),
    ),
    NotePublished: (
        TaskEvent.NOTE_PUBLISHED,
        lambda event: (event.author_id, f"note:{event.note_id}"),
    ),
    OrderPaid: (
        TaskEvent.ORDER_PAID,
        lambda event: (event.buyer_id, f"order:{event.order_number}"),
    ),
    # Liking one's own note proves nothing.
    NoteLiked: (
        TaskEvent.NOTE_LIKED,
        lambda event: (
            None
            if event.actor_id == event.note_author_id
            else (event.actor_id, f"note:{event.note_id}")
        ),
    ),
    CommentPosted: (
        TaskEvent.COMMENT_POSTED,
        lambda event: (event.actor_id, f"comment:{event.comment_id}"),
    ),
    NoteShared: (
        TaskEvent.NOTE_SHARED,
        lambda event: (event.sharer_id, f"note:{event.note_id}"),
    ),
    ReviewPublished: (
        TaskEvent.REVIEW_PUBLISHED,
        lambda event: (event.author_id, f"review:{event.review_id}"),
    ),
}


def count_task_event(delivered: DeliveredEvent) -> None:
    """One handler for every counted event (each event type keeps its own receipts)."""
    task_event, proof = PROOFS[type(delivered.event)]
    proven = proof(delivered.event)
    if proven is None or not proven[0]:
        return
    user_id, object_key = proven
    task_event_record(
        user_id=user_id,
        event=task_event,
        object_key=object_key,
        day=growth_day(delivered.occurred_at),
    )


for _event_class in PROOFS:
    handles(_event_class)(count_task_event)


@handles(CheckedIn)
def count_checked_in(delivered: DeliveredEvent) -> None:
    """A check-in counts on the day it is for; a make-up card fills a past day and does not
    count as today's check-in."""
    event = delivered.event
    assert isinstance(event, CheckedIn)
    if event.is_make_up:
        return
    task_event_record(
        user_id=event.user_id,
        event=TaskEvent.CHECKED_IN,
        object_key=f"day:{event.day}",
        day=date.fromisoformat(event.day),
    )
