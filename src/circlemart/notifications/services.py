"""Writes of notifications: record an activity into its group, mark read, preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as account_selectors
from circlemart.core import clock
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.notifications import selectors
from circlemart.notifications.contracts import NotificationKind, PreferenceView, TargetType
from circlemart.notifications.models import Notification, NotificationActor, NotificationPreference

EXCERPT_LENGTH = 120


def notification_record(
    *,
    recipient_id: int,
    kind: NotificationKind,
    target_type: TargetType,
    target_id: int,
    actor_id: int,
    note_id: int | None = None,
    excerpt: str = "",
    bump_on_repeat: bool = False,
    about_self: bool = False,
) -> bool:
    """Add `actor_id` to the recipient's (kind, target) group; True when the inbox changed.

    A repeated actor (liking twice) changes nothing unless `bump_on_repeat` (a second comment
    is news: the group moves up and is unread again, but the actor still counts once). Nobody
    is notified of their own actions (unless `about_self`: news about something the recipient
    is part of, such as their group filling up), nor of a kind they opted out of.
    """
    if recipient_id == actor_id and not about_self:
        return False
    if not selectors.kind_enabled(user_id=recipient_id, kind=kind):
        return False
    if not account_selectors.user_is_active(recipient_id):
        return False
    now = clock.now()
    with transaction.atomic():
        # Create the group if it is missing (a concurrent creator wins quietly), then take its
        # row lock: every bump of one group runs one after the other, so counts stay exact.
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=recipient_id,
                    kind=kind.value,
                    target_type=target_type.value,
                    target_id=target_id,
                    note_id=note_id,
                    updated_at=now,
                )
            ],
            ignore_conflicts=True,
        )
        group = (
            Notification.objects.select_for_update()
            .only("id", "latest_actor_ids")
            .get(
                recipient_id=recipient_id,
                kind=kind.value,
                target_type=target_type.value,
                target_id=target_id,
            )
        )
        _, is_new_actor = NotificationActor.objects.get_or_create(
            notification_id=group.pk, actor_id=actor_id
        )
        if not is_new_actor and not bump_on_repeat:
            return False
        previous = [int(value) for value in group.latest_actor_ids or []]
        latest = [actor_id, *(value for value in previous if value != actor_id)]
        changes: dict[str, object] = {
            "latest_actor_ids": latest[: settings.NOTIFICATIONS_LATEST_ACTORS],
            "updated_at": now,
            "is_read": False,
            "read_at": None,
        }
        if is_new_actor:
            changes["actor_count"] = F("actor_count") + 1
        if excerpt:
            changes["excerpt"] = excerpt[:EXCERPT_LENGTH]
        if note_id is not None:
            changes["note_id"] = note_id
        Notification.objects.filter(pk=group.pk).update(**changes)
    return True


def notification_mark_read(*, user_id: int, notification_id: int) -> None:
    """Mark one of the user's notifications read (again is fine); 404 for anyone else's."""
    changed = Notification.objects.filter(
        pk=notification_id, recipient_id=user_id, is_read=False
    ).update(is_read=True, read_at=clock.now())
    if (
        not changed
        and not Notification.objects.filter(pk=notification_id, recipient_id=user_id).exists()
    ):
        raise NotFound(_("Notification not found."), field="notification_id")


def notifications_mark_all_read(*, user_id: int) -> int:
    """Mark everything in the user's inbox read; returns how many were unread."""
    return Notification.objects.filter(recipient_id=user_id, is_read=False).update(
        is_read=True, read_at=clock.now()
    )


def preferences_set(*, user_id: int, changes: dict[str, bool]) -> list[PreferenceView]:
    """Turn kinds on or off. Unknown kinds are refused, naming the kind, before any change."""
    known = {kind.value for kind in NotificationKind}
    for name, value in changes.items():
        if name not in known:
            raise ValidationFailed(_("Unknown notification kind."), code="unknown_kind", field=name)
        if not isinstance(value, bool):
            raise ValidationFailed(_("Must be true or false."), field=name)
    if changes:
        NotificationPreference.objects.bulk_create(
            [
                NotificationPreference(user_id=user_id, kind=name, is_enabled=value)
                for name, value in sorted(changes.items())
            ],
            update_conflicts=True,
            unique_fields=["user", "kind"],
            update_fields=["is_enabled", "updated_at"],
        )
    return selectors.preferences(user_id=user_id)
