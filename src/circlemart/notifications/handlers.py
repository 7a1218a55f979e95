"""What notifications does when social, reviews, group-buy, order and refund events arrive (by
the outbox).

Receipts make each handler run once per event; grouping by actor makes a replay harmless too.
Each recipient hears about one event once, by its most specific kind (reply > mention >
comment).
"""

from __future__ import annotations

from circlemart.core.events import DeliveredEvent, handles
from circlemart.core.money import Money, babel_locale
from circlemart.notifications.contracts import NotificationKind, TargetType
from circlemart.notifications.services import notification_record
from circlemart.orders import selectors as order_selectors
from circlemart.orders.events import OrderCancelled, OrderDelivered, OrderPaid, OrderShipped
from circlemart.payments.events import RefundSucceeded
from circlemart.promotions.events import GroupFailed, GroupJoined, GroupSucceeded
from circlemart.reviews.events import QuestionAnswered, QuestionAsked, ReviewReplied
from circlemart.social.events import (
    CommentLiked,
    CommentPosted,
    NoteLiked,
    NotePublished,
    UserFollowed,
)

MAX_MENTIONS = 20  # per note or comment; more is spam, not conversation


@handles(UserFollowed)
def on_user_followed(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, UserFollowed)
    notification_record(
        recipient_id=event.followee_id,
        kind=NotificationKind.FOLLOW,
        target_type=TargetType.USER,
        target_id=event.followee_id,
        actor_id=event.follower_id,
    )


@handles(NoteLiked)
def on_note_liked(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, NoteLiked)
    notification_record(
        recipient_id=event.note_author_id,
        kind=NotificationKind.NOTE_LIKE,
        target_type=TargetType.NOTE,
        target_id=event.note_id,
        note_id=event.note_id,
        actor_id=event.actor_id,
    )


@handles(CommentLiked)
def on_comment_liked(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, CommentLiked)
    notification_record(
        recipient_id=event.comment_author_id,
        kind=NotificationKind.COMMENT_LIKE,
        target_type=TargetType.COMMENT,
        target_id=event.comment_id,
        note_id=event.note_id,
        actor_id=event.actor_id,
    )


@handles(CommentPosted)
def on_comment_posted(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, CommentPosted)
    told = {event.actor_id}
    if event.parent_comment_id is not None and event.parent_author_id is not None:
        told.add(event.parent_author_id)
        notification_record(
            recipient_id=event.parent_author_id,
            kind=NotificationKind.REPLY,
            target_type=TargetType.COMMENT,
            target_id=event.parent_comment_id,
            note_id=event.note_id,
            actor_id=event.actor_id,
            bump_on_repeat=True,
        )
    for user_id in _unique(event.mentioned_user_ids):
        if user_id in told:
            continue
        told.add(user_id)
        notification_record(
            recipient_id=user_id,
            kind=NotificationKind.MENTION,
            target_type=TargetType.COMMENT,
            target_id=event.comment_id,
            note_id=event.note_id,
            actor_id=event.actor_id,
        )
    if event.note_author_id not in told:
        notification_record(
            recipient_id=event.note_author_id,
            kind=NotificationKind.COMMENT,
            target_type=TargetType.NOTE,
            target_id=event.note_id,
            note_id=event.note_id,
            actor_id=event.actor_id,
            bump_on_repeat=True,
        )


@handles(NotePublished)
def on_note_published(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, NotePublished)
    for user_id in _unique(event.mentioned_user_ids):
        notification_record(
            recipient_id=user_id,
            kind=NotificationKind.MENTION,
            target_type=TargetType.NOTE,
            target_id=event.note_id,
            note_id=event.note_id,
            actor_id=event.author_id,
        )


@handles(QuestionAsked)
def on_question_asked(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, QuestionAsked)
    for user_id in _unique(event.invitee_ids):
        notification_record(
            recipient_id=user_id,
            kind=NotificationKind.QUESTION_INVITE,
            target_type=TargetType.QUESTION,
            target_id=event.question_id,
            actor_id=event.asker_id,
            excerpt=event.excerpt,
        )


@handles(QuestionAnswered)
def on_question_answered(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, QuestionAnswered)
    notification_record(
        recipient_id=event.asker_id,
        kind=NotificationKind.QUESTION_ANSWER,
        target_type=TargetType.QUESTION,
        target_id=event.question_id,
        actor_id=event.answerer_id,
        excerpt=event.excerpt,
        bump_on_repeat=True,
    )


@handles(ReviewReplied)
def on_review_replied(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, ReviewReplied)
    notification_record(
        recipient_id=event.review_author_id,
        kind=NotificationKind.REVIEW_REPLY,
        target_type=TargetType.REVIEW,
        target_id=event.review_id,
        actor_id=event.replier_id,
        bump_on_repeat=True,
    )


@handles(GroupJoined)
def on_group_joined(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, GroupJoined)
    notification_record(
        recipient_id=event.leader_id,
        kind=NotificationKind.GROUP_JOINED,
        target_type=TargetType.GROUP,
        target_id=event.group_id,
        actor_id=event.member_id,
        bump_on_repeat=True,
    )


def _tell_members(
    kind: NotificationKind, *, group_id: int, leader_id: int, member_ids: list[int]
) -> None:
    """News for every paid member, the leader included (the group is the actor's: the leader)."""
    for member in dict.fromkeys(int(member_id) for member_id in member_ids):
        notification_record(
            recipient_id=member,
            kind=kind,
            target_type=TargetType.GROUP,
            target_id=group_id,
            actor_id=leader_id,
            about_self=True,
        )


@handles(GroupSucceeded)
def on_group_succeeded(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, GroupSucceeded)
    _tell_members(
        NotificationKind.GROUP_SUCCEEDED,
        group_id=event.group_id,
        leader_id=event.leader_id,
        member_ids=event.member_ids,
    )


@handles(GroupFailed)
def on_group_failed(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, GroupFailed)
    _tell_members(
        NotificationKind.GROUP_FAILED,
        group_id=event.group_id,
        leader_id=event.leader_id,
        member_ids=event.member_ids,
    )


def _unique(user_ids: list[int]) -> list[int]:
    return list(dict.fromkeys(int(user_id) for user_id in user_ids))[:MAX_MENTIONS]


# --- Orders: the buyer hears of payment, shipping, delivery, cancellation and every refund ------


def _tell_buyer(
    kind: NotificationKind, *, number: str, detail: str = "", bump_on_repeat: bool = False
) -> None:
    """News about the buyer's own order, linked to the order page. The buyer is the group's
    actor (news about themselves); the excerpt names the order and what happened."""
    order = order_selectors.order_ref(number)
    if order is None:
        return
    # Stored once for every language: the order number and a figure or the reason as given.
    notification_record(
        recipient_id=order.buyer_id,
        kind=kind,
        target_type=TargetType.ORDER,
        target_id=order.id,
        actor_id=order.buyer_id,
        excerpt=f"{number} · {detail}" if detail else number,
        about_self=True,
        bump_on_repeat=bump_on_repeat,
    )


def _money(amount: int, currency: str) -> str:
    return Money(amount, currency).format(babel_locale(None))


@handles(OrderPaid)
def on_order_paid(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderPaid)
    _tell_buyer(
        NotificationKind.ORDER_PAID,
        number=event.order_number,
        detail=_money(event.amount, event.currency),
    )


@handles(OrderShipped)
def on_order_shipped(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderShipped)
    _tell_buyer(
        NotificationKind.ORDER_SHIPPED,
        number=event.order_number,
        detail=f"{event.carrier} {event.tracking_number}".strip(),
    )


@handles(OrderDelivered)
def on_order_delivered(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, OrderDelivered)
    if event.delivered_by == "buyer":
        return  # the buyer pressed "I received it": nothing they do not know
    _tell_buyer(NotificationKind.ORDER_DELIVERED, number=event.order_number)


@handles(OrderCancelled)
def on_order_cancelled(delivered: DeliveredEvent) -> None:
    """Cancelled for the buyer (unpaid in time, by the shop): the buyer's own cancel is no news."""
    event = delivered.event
    assert isinstance(event, OrderCancelled)
    if event.cancelled_by == "buyer":
        return
    _tell_buyer(NotificationKind.ORDER_CANCELLED, number=event.order_number, detail=event.reason)


@handles(RefundSucceeded)
def on_refund_succeeded(delivered: DeliveredEvent) -> None:
    """Every refund that reached the buyer: after-sales, a failed group, a payment that came
    after the order was cancelled. One group per order; each refund bumps it unread again."""
    event = delivered.event
    assert isinstance(event, RefundSucceeded)
    _tell_buyer(
        NotificationKind.ORDER_REFUNDED,
        number=event.order_number,
        detail=_money(event.amount, event.currency),
        bump_on_repeat=True,
    )
