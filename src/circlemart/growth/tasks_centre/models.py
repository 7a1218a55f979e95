"""Tables of the task centre: task definitions operators set, each shopper's progress per task
and period, and the objects that progress counted (unique, so an event delivered twice — or
the same person followed, unfollowed and followed again — counts once)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from circlemart.growth.tasks_centre.contracts import TaskEvent, TaskKind


class TaskDefinition(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=TaskKind.choices)
    title = models.CharField(_("title"), max_length=60)
    title_en = models.CharField(_("title (English)"), max_length=60, blank=True, default="")
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    event = models.CharField(_("counts"), max_length=24, choices=TaskEvent.choices)
    target = models.PositiveIntegerField(_("target count"), default=1)
    points = models.PositiveIntegerField(_("reward points"), default=0)
    coupon_template_id = models.BigIntegerField(
        _("reward coupon template id"),
        null=True,
        blank=True,
        help_text=_("A non-public coupon template given as the reward (optional)."),
    )
    make_up_cards = models.PositiveSmallIntegerField(_("reward make-up cards"), default=0)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["kind", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(target__gte=1), name="task_target_positive"),
            models.CheckConstraint(
                condition=Q(points__gt=0)
                | Q(coupon_template_id__isnull=False)
                | Q(make_up_cards__gt=0),
                name="task_pays_something",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def shown_title(self) -> str:
        if self.title_en and (get_language() or "").startswith("en"):
            return self.title_en
        return self.title

    def clean(self) -> None:
        if not self.points and not self.coupon_template_id and not self.make_up_cards:
            raise ValidationError(_("A task pays points, a coupon or make-up cards."))
        if self.target is not None and self.target < 1:
            raise ValidationError({"target": _("The target is at least 1.")})


class TaskProgress(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(TaskDefinition, on_delete=models.CASCADE, related_name="progress")
    period = models.CharField(_("period"), max_length=12, blank=True, default="")
    count = models.PositiveIntegerField(_("count"), default=0)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)

    class Meta:
        verbose_name = _("task progress")
        verbose_name_plural = _("task progress")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "task", "period"], name="task_progress_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(claimed_at__isnull=True) | Q(completed_at__isnull=False),
                name="task_claimed_only_when_completed",
            ),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} · {self.task_id} {self.period} · {self.count}"


class TaskStep(models.Model):
    """One object a task's progress counted (a followee, a note, an order)."""

    progress = models.ForeignKey(TaskProgress, on_delete=models.CASCADE, related_name="steps")
    object_key = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["progress", "object_key"], name="task_step_once_per_object"
            )
        ]

    def __str__(self) -> str:
        return self.object_key
