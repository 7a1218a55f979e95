"""The social graph. Notes, circles, feeds and the rest arrive with the social issue."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Follow(models.Model):
    follower = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="following_edges"
    )
    followee = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="follower_edges"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_once"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="no_self_follow"),
        ]
        indexes = [models.Index(fields=["followee", "-created_at"], name="followers_newest")]

    def __str__(self) -> str:
        return f"{self.follower_id} → {self.followee_id}"
