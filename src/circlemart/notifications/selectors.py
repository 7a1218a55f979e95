"""Reads of notifications: the inbox page, the unread count and preferences of one user."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from circlemart.accounts import selectors as account_selectors
from circlemart.accounts.contracts import UserCard
from circlemart.core.pagination import paginate
from circlemart.notifications.contracts import (
    BACK_OFFICE_KINDS,
    NotificationKind,
    NotificationPage,
    NotificationView,
    PreferenceView,
    TargetType,
)
from circlemart.notifications.models import Notification, NotificationPreference
from circlemart.orders import selectors as order_selectors

INBOX_ORDER = ("-updated_at", "-id")

KIND_LABELS: dict[NotificationKind, Promise] = {
    NotificationKind.FOLLOW: gettext_lazy("New followers"),
    NotificationKind.NOTE_LIKE: gettext_lazy("Likes on my notes"),
    NotificationKind.COMMENT: gettext_lazy("Comments on my notes"),
    NotificationKind.REPLY: gettext_lazy("Replies to my comments"),
    NotificationKind.MENTION: gettext_lazy("Mentions"),
    NotificationKind.COMMENT_LIKE: gettext_lazy("Likes on my comments"),
    NotificationKind.QUESTION_INVITE: gettext_lazy("Questions about products I bought"),
    NotificationKind.QUESTION_ANSWER: gettext_lazy("Answers to my questions"),
    NotificationKind.REVIEW_REPLY: gettext_lazy("Shop replies to my reviews"),
    NotificationKind.GROUP_JOINED: gettext_lazy("Friends joining my groups"),
    NotificationKind.GROUP_SUCCEEDED: gettext_lazy("My groups completed"),
    NotificationKind.GROUP_FAILED: gettext_lazy("My groups that did not fill up"),
    NotificationKind.GOAL_AT_RISK: gettext_lazy("Growth goals at risk"),
    NotificationKind.GOAL_OFF_TRACK: gettext_lazy("Growth goals off track"),
    NotificationKind.POINTS_EXPIRING: gettext_lazy("Points about to expire"),
    NotificationKind.REWARD_GRANTED: gettext_lazy("Rewards I received"),
    NotificationKind.DISTRIBUTOR_REVIEWED: gettext_lazy("My distributor application"),
    NotificationKind.COMMISSION_SETTLED: gettext_lazy("Commission settled"),
    NotificationKind.WITHDRAWAL_PAID: gettext_lazy("Withdrawals paid out"),
    NotificationKind.WITHDRAWAL_FAILED: gettext_lazy("Withdrawals that failed"),
    NotificationKind.LEVEL_CHANGED: gettext_lazy("My membership level"),
    NotificationKind.BADGE_AWARDED: gettext_lazy("Badges I earned"),
    NotificationKind.ORDER_PAID: gettext_lazy("Payments for my orders"),
    NotificationKind.ORDER_SHIPPED: gettext_lazy("My orders shipped"),
    NotificationKind.ORDER_DELIVERED: gettext_lazy("My orders delivered"),
    NotificationKind.ORDER_CANCELLED: gettext_lazy("My orders cancelled"),
    NotificationKind.ORDER_REFUNDED: gettext_lazy("Refunds to me"),
    NotificationKind.LIVE_REMINDER: gettext_lazy("Live rooms about to start"),
    NotificationKind.LIVE_STARTED: gettext_lazy("Creators I follow going live"),
}

# Growth news: one fixed sentence each (the excerpt says how much, which badge…), and the page
# it leads to.
GROWTH_SENTENCES: dict[NotificationKind, Promise] = {
    NotificationKind.POINTS_EXPIRING: gettext_lazy("Some of your points expire soon"),
    NotificationKind.REWARD_GRANTED: gettext_lazy("You received a reward"),
    NotificationKind.DISTRIBUTOR_REVIEWED: gettext_lazy(
        "Your distributor application has been reviewed"
    ),
    NotificationKind.COMMISSION_SETTLED: gettext_lazy("Commission is ready to withdraw"),
    NotificationKind.WITHDRAWAL_PAID: gettext_lazy("Your withdrawal has been paid out"),
    NotificationKind.WITHDRAWAL_FAILED: gettext_lazy(
        "Your withdrawal could not be paid: the amount is back in your balance"
    ),
    NotificationKind.LEVEL_CHANGED: gettext_lazy("Your membership level changed"),
    NotificationKind.BADGE_AWARDED: gettext_lazy("You earned a badge"),
}
# Order news: one fixed sentence each; the excerpt names the order (and the amount or reason).
ORDER_SENTENCES: dict[NotificationKind, Promise] = {
    NotificationKind.ORDER_PAID: gettext_lazy("Payment received: your order is being prepared"),
    NotificationKind.ORDER_SHIPPED: gettext_lazy("Your order has shipped"),
    NotificationKind.ORDER_DELIVERED: gettext_lazy("Your order has been delivered"),
    NotificationKind.ORDER_CANCELLED: gettext_lazy("Your order was cancelled"),
    NotificationKind.ORDER_REFUNDED: gettext_lazy(
        "Your refund has been issued to your original payment method"
    ),
}
GROWTH_PAGES: dict[NotificationKind, str] = {
    NotificationKind.POINTS_EXPIRING: "growth:points",
    NotificationKind.REWARD_GRANTED: "growth:hub",
    NotificationKind.DISTRIBUTOR_REVIEWED: "growth:distribution",
    NotificationKind.COMMISSION_SETTLED: "growth:distribution",
    NotificationKind.WITHDRAWAL_PAID: "growth:distribution",
    NotificationKind.WITHDRAWAL_FAILED: "growth:distribution",
    NotificationKind.LEVEL_CHANGED: "growth:level",
    NotificationKind.BADGE_AWARDED: "growth:level",
}


def _sentence(kind: NotificationKind, actor: str, others: int) -> str:
    """'A liked your note' or 'A and 12 others liked your note' (plain text; escape it)."""
    values = {"actor": actor, "count": others}
    if kind == NotificationKind.FOLLOW:
        if not others:
            return _("%(actor)s followed you") % values
        return (
            ngettext(
                "%(actor)s and %(count)d other followed you",
                "%(actor)s and %(count)d others followed you",
                others,
            )
            % values
        )
    if kind == NotificationKind.NOTE_LIKE:
        if not others:
            return _("%(actor)s liked your note") % values
        return (
            ngettext(
                "%(actor)s and %(count)d other liked your note",
                "%(actor)s and %(count)d others liked your note",
                others,
            )
            % values
        )
    if kind == NotificationKind.COMMENT:
        if not others:
            return _("%(actor)s commented on your note") % values
        return (
            ngettext(
                "%(actor)s and %(count)d other commented on your note",
                "%(actor)s and %(count)d others commented on your note",
                others,
            )
            % values
        )
    if kind == NotificationKind.REPLY:
        if not others:
            return _("%(actor)s replied to your comment") % values
        return (
            ngettext(
                "%(actor)s and %(count)d other replied to your comment",
                "%(actor)s and %(count)d others replied to your comment",
                others,
            )
            % values
        )
    if kind == NotificationKind.MENTION:
        if not others:
            return _("%(actor)s mentioned you") % values
        return (
            ngettext(
                "%(actor)s and %(count)d other mentioned you",
                "%(actor)s and %(count)d others mentioned you",
                others,
            )
            % values
        )
    if kind == NotificationKind.COMMENT_LIKE:
        if not others:
            return _("%(actor)s liked your comment") % values
        return (
            ngettext(
                "%(actor)s and %(count)d other liked your comment",
                "%(actor)s and %(count)d others liked your comment",
                others,
            )
            % values
        )
    if kind == NotificationKind.QUESTION_INVITE:
        if not others:
            return _("%(actor)s asked about a product you bought") % values
        return (
            ngettext(
                "%(actor)s and %(count)d other asked about a product you bought",
                "%(actor)s and %(count)d others asked about a product you bought",
                others,
            )
            % values
        )
    if kind == NotificationKind.QUESTION_ANSWER:
        if not others:
            return _("%(actor)s answered your question") % values
        return (
            ngettext(
                "%(actor)s and %(count)d other answered your question",
                "%(actor)s and %(count)d others answered your question",
                others,
            )
            % values
        )
    if kind == NotificationKind.GROUP_JOINED:
        if not others:
            return _("%(actor)s joined your group") % values
        return (
            ngettext(
                "%(actor)s and %(count)d other joined your group",
                "%(actor)s and %(count)d others joined your group",
                others,
            )
            % values
        )
    if kind == NotificationKind.GROUP_SUCCEEDED:
        return _("Your group is complete: your order ships soon")
    if kind == NotificationKind.GROUP_FAILED:
        return _("Your group did not fill up in time: your money is on its way back")
    if kind == NotificationKind.GOAL_AT_RISK:
        return _("A growth goal is at risk: its forecast falls short of the target")
    if kind == NotificationKind.GOAL_OFF_TRACK:
        return _("A growth goal is off track: even its forecast's best case misses the target")
    if kind in GROWTH_SENTENCES:
        return str(GROWTH_SENTENCES[kind])
    if kind in ORDER_SENTENCES:
        return str(ORDER_SENTENCES[kind])
    if kind == NotificationKind.LIVE_REMINDER:
        return _("%(actor)s goes live soon") % values
    if kind == NotificationKind.LIVE_STARTED:
        return _("%(actor)s is live now") % values
    return _("%(actor)s replied to your review") % values


def _url(row: Notification, order_numbers: dict[int, str]) -> str:
    """Where a notification leads. Social pages live at /notes/<id>/ and /u/<id>/."""
    target_type = TargetType(row.target_type)
    if target_type == TargetType.ORDER:
        number = order_numbers.get(row.target_id)
        return reverse("orders:detail", args=[number]) if number else reverse("orders:list")
    if target_type == TargetType.NOTE:
        return f"/notes/{row.target_id}/"
    if target_type == TargetType.COMMENT:
        return f"/notes/{row.note_id}/#comment-{row.target_id}" if row.note_id else ""
    if target_type == TargetType.QUESTION:
        return reverse("reviews:question", args=[row.target_id])
    if target_type == TargetType.REVIEW:
        return reverse("reviews:review", args=[row.target_id])
    if target_type == TargetType.GROUP:
        return reverse("promotions:group", args=[row.target_id])
    if target_type == TargetType.GOAL:
        return reverse("admin:analytics_growthgoal_chart", args=[row.target_id])
    if target_type == TargetType.GROWTH:
        return reverse(GROWTH_PAGES.get(NotificationKind(row.kind), "growth:hub"))
    if target_type == TargetType.ROOM:
        return f"/live/{row.target_id}/"
    latest = list(row.latest_actor_ids or [])
    return f"/u/{latest[0]}/" if latest else ""


def _view(
    row: Notification, cards: dict[int, UserCard], order_numbers: dict[int, str]
) -> NotificationView:
    actors = [cards[int(pk)] for pk in row.latest_actor_ids or [] if int(pk) in cards]
    first = actors[0].nickname if actors else _("Someone")
    kind = NotificationKind(row.kind)
    return NotificationView(
        id=row.pk,
        kind=kind,
        target_type=TargetType(row.target_type),
        target_id=row.target_id,
        note_id=row.note_id,
        actor_count=row.actor_count,
        latest_actors=actors,
        sentence=_sentence(kind, first, max(row.actor_count - 1, 0)),
        excerpt=row.excerpt,
        url=_url(row, order_numbers),
        is_read=row.is_read,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def inbox_page(*, user_id: int, cursor: str | None, limit: int) -> NotificationPage:
    """The user's groups, most recently bumped first. Two queries: groups, then actor cards."""
    page = paginate(
        Notification.objects.filter(recipient_id=user_id, actor_count__gt=0),
        ordering=INBOX_ORDER,
        cursor=cursor,
        limit=limit,
    )
    actor_ids = {int(pk) for row in page.items for pk in row.latest_actor_ids or []}
    cards = account_selectors.user_cards(sorted(actor_ids)) if actor_ids else {}
    order_ids = {row.target_id for row in page.items if row.target_type == TargetType.ORDER}
    numbers = order_selectors.order_numbers(order_ids) if order_ids else {}
    return NotificationPage(
        items=[_view(row, cards, numbers) for row in page.items], next_cursor=page.next_cursor
    )


def unread_count(*, user_id: int) -> int:
    """Unread groups: an indexed count (partial index on unread rows of one recipient)."""
    return Notification.objects.filter(recipient_id=user_id, is_read=False).count()


def badge_text(count: int) -> str:
    """What the header badge shows: the count, capped ("99+")."""
    cap = int(settings.NOTIFICATIONS_BADGE_MAX)
    return f"{cap}+" if count > cap else str(count)


def kind_enabled(*, user_id: int, kind: NotificationKind) -> bool:
    row = NotificationPreference.objects.filter(user_id=user_id, kind=kind.value).first()
    return row is None or row.is_enabled


def preferences(*, user_id: int) -> list[PreferenceView]:
    stored = dict(
        NotificationPreference.objects.filter(user_id=user_id).values_list("kind", "is_enabled")
    )
    back_office = account_selectors.user_may(user_id, "analytics.view_growthgoal")
    return [
        PreferenceView(kind=kind, label=str(KIND_LABELS[kind]), is_enabled=stored.get(kind, True))
        for kind in NotificationKind
        if back_office or kind not in BACK_OFFICE_KINDS
    ]
