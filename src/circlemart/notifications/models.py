"""Tables of notifications: one row per (recipient, kind, target) group, its actors, and
per-kind opt-outs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from circlemart.notifications.contracts import NotificationKind, TargetType


class Notification(models.Model):
    """A group: "A and 12 others liked your note". New actors bump it instead of adding rows.

    Changed only under its row lock (see services._bump), so actor_count stays exact.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=[(k.value, k.value) for k in NotificationKind]
    )
    target_type = models.CharField(max_length=12, choices=[(t.value, t.value) for t in TargetType])
    target_id = models.BigIntegerField()
    note_id = models.BigIntegerField(null=True, blank=True)  # where a comment target lives
    actor_count = models.PositiveIntegerField(_("actors"), default=0)
    latest_actor_ids = models.JSONField(default=list)  # newest first
    excerpt = models.CharField(max_length=120, blank=True, default="")
    is_read = models.BooleanField(_("read"), default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "target_type", "target_id"],
                name="notification_one_group",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-updated_at", "-id"], name="inbox_newest"),
            # The unread badge is an indexed count over this partial index.
            models.Index(fields=["recipient"], name="inbox_unread", condition=Q(is_read=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target_type}:{self.target_id} → {self.recipient_id}"


class NotificationActor(models.Model):
    """One actor in a group, once: a second like by the same person changes nothing."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="actors")
    actor_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification actor")
        verbose_name_plural = _("notification actors")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "actor_id"], name="notification_actor_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} in {self.notification_id}"


class NotificationPreference(models.Model):
    """An opt-out (or back in) of one kind; no row means the kind is on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in NotificationKind])
    is_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}={'on' if self.is_enabled else 'off'}"
