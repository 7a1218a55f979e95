"""Tables of the recommend app: model versions and the serving slot, the shop's catalogue
identity, impressions and clicks of served lists, and each user's personalisation choices.

Impressions and clicks keep plain ids, not foreign keys: they are written at a high rate and
outlive the products, notes and users they mention (like the analytics event log).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ModelVersion(models.Model):
    """One trained model: its file, what it was trained on, its offline metrics."""

    class Status(models.TextChoices):
        TRAINING = "training", _("training")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")
        RETIRED = "retired", _("retired")

    label = models.CharField(_("label"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, default="blend")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.TRAINING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    progress = models.FloatField(_("progress"), default=0.0)
    progress_note = models.CharField(_("stage"), max_length=200, blank=True, default="")
    error = models.TextField(_("error"), blank=True, default="")
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    trained_on = models.JSONField(_("trained on"), default=dict, blank=True)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    artifact = models.CharField(_("file"), max_length=200, blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, default="")
    catalogue_id = models.UUIDField(_("catalogue"), null=True, blank=True)

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ("-id",)
        constraints = [
            # One training at a time: a second job is refused by the database.
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="training"), name="one_training_model"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="model_progress_range"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ServingSlot(models.Model):
    """Which version serves. Switching is one UPDATE of this row, so every process moves
    from one complete model to the next."""

    name = models.CharField(max_length=32, unique=True, default="default")
    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("serving slot")
        verbose_name_plural = _("serving slots")

    def __str__(self) -> str:
        return self.name


class ActivationLog(models.Model):
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    previous_version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("activation")
        verbose_name_plural = _("activations")
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.version_id} @ {self.at:%Y-%m-%d %H:%M}"


class CatalogueIdentity(models.Model):
    """Names this shop's catalogue. A model file carries it; one from another shop is refused."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    catalogue_id = models.UUIDField(default=uuid.uuid4, unique=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="one_catalogue_identity")]

    def __str__(self) -> str:
        return str(self.catalogue_id)


class Impression(models.Model):
    """One item shown in one served list, with the model that chose it and its position."""

    id = models.BigAutoField(primary_key=True)
    list_id = models.UUIDField()
    surface = models.CharField(max_length=24)
    model_version_id = models.IntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField()
    object_type = models.CharField(max_length=16, default="product")
    object_id = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True, blank=True)
    anonymous_id = models.CharField(max_length=64, blank=True, default="")
    is_personalised = models.BooleanField(default=False)
    served_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("impression")
        verbose_name_plural = _("impressions")
        indexes = [
            models.Index(fields=["surface", "served_at"], name="impression_surface_time"),
            models.Index(fields=["list_id", "position"], name="impression_list_position"),
            # "notes this viewer saw in the last days" (the discover ranker pushes them down)
            models.Index(
                fields=["user_id", "surface", "served_at"], name="impression_user_surface_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.surface} #{self.position}: {self.object_type} {self.object_id}"


class RecommendationClick(models.Model):
    id = models.BigAutoField(primary_key=True)
    list_id = models.UUIDField()
    surface = models.CharField(max_length=24)
    model_version_id = models.IntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField()
    object_type = models.CharField(max_length=16, default="product")
    object_id = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True, blank=True)
    anonymous_id = models.CharField(max_length=64, blank=True, default="")
    clicked_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("recommendation click")
        verbose_name_plural = _("recommendation clicks")
        constraints = [
            # A reload of the same link counts once.
            models.UniqueConstraint(fields=["list_id", "position"], name="click_once_per_slot")
        ]
        indexes = [models.Index(fields=["surface", "clicked_at"], name="click_surface_time")]

    def __str__(self) -> str:
        return f"{self.surface} #{self.position}: {self.object_type} {self.object_id}"


class PersonalisationPreference(models.Model):
    """PIPL art. 24: a user may turn personalised recommendations off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    is_personalised = models.BooleanField(_("personalised recommendations"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("personalisation preference")
        verbose_name_plural = _("personalisation preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.is_personalised}"


class UserInterest(models.Model):
    """A category a new user picked at onboarding (cold start)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category_id = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category_id"], name="interest_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.category_id}"


class SessionView(models.Model):
    """What a browsing session just looked at, for re-ranking its next page. Kept in the
    database so every worker process sees it without Redis; pruned after an hour."""

    id = models.BigAutoField(primary_key=True)
    session_key = models.CharField(max_length=64)
    user_id = models.BigIntegerField(null=True, blank=True)
    product_id = models.BigIntegerField()
    kind = models.CharField(max_length=8, default="view")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["session_key", "at"], name="session_view_time")]

    def __str__(self) -> str:
        return f"{self.session_key}: {self.product_id}"
