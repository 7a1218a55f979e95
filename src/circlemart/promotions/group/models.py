"""Tables of group buying (拼团): deals (a SKU at a group price for groups of N), the groups
leaders open, and one membership row per member's order.

A group's `seats_taken` (held + paid memberships) and `paid_count` change only through
conditional UPDATEs in services.py; CheckConstraints make the database refuse a group over
its size, and a partial unique constraint refuses a second live membership of one user in one
group."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MAX_GROUP_SIZE = 50


class GroupDeal(models.Model):
    """One SKU sold at `group_price` to groups of `group_size` who fill up within
    `time_limit_minutes` of the leader paying."""

    name = models.CharField(_("name"), max_length=60)
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU")
    )
    group_price = models.PositiveIntegerField(_("group price (minor units)"))
    leader_price = models.PositiveIntegerField(
        _("leader price (minor units)"),
        null=True,
        blank=True,
        help_text=_("What the leader pays, when lower than the group price (leader discount)."),
    )
    group_size = models.PositiveSmallIntegerField(_("group size"), default=3)
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"),
        default=24 * 60,
        help_text=_("How long a group has to fill up after its leader paid."),
    )
    max_quantity = models.PositiveSmallIntegerField(
        _("units per member"), default=1, help_text=_("The most units one member may buy.")
    )
    auto_fill = models.BooleanField(
        _("fill short groups automatically"),
        default=False,
        help_text=_(
            "At the deadline, a short group whose leader paid succeeds anyway, the empty seats "
            "filled by the system (模拟成团). Off by default."
        ),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), help_text=_("No new groups open after this."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("group-buy deal")
        verbose_name_plural = _("group-buy deals")
        ordering = ["-starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="group_deal_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(group_price__gt=0), name="group_price_positive"),
            models.CheckConstraint(
                condition=Q(leader_price__isnull=True)
                | (Q(leader_price__gt=0) & Q(leader_price__lte=F("group_price"))),
                name="group_leader_price_within_group_price",
            ),
            models.CheckConstraint(
                condition=Q(group_size__gte=2) & Q(group_size__lte=MAX_GROUP_SIZE),
                name="group_size_range",
            ),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__gte=1), name="group_time_limit_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_quantity__gte=1), name="group_max_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The end must be after the start.")
        if self.group_size is not None and not 2 <= self.group_size <= MAX_GROUP_SIZE:
            errors["group_size"] = _("A group has 2 to %(max)d members.") % {"max": MAX_GROUP_SIZE}
        if (
            self.leader_price is not None
            and self.group_price is not None
            and self.leader_price > self.group_price
        ):
            errors["leader_price"] = _("The leader price cannot be above the group price.")
        if self.group_price is not None and self.group_price <= 0:
            errors["group_price"] = _("The group price must be positive.")
        if errors:
            raise ValidationError(errors)


class Group(models.Model):
    """A group a leader opened. Pending until the leader paid, then open until it fills
    (succeeded) or its deadline passes short (failed, every paid member refunded)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the leader to pay")
        OPEN = "open", _("Open")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    deal = models.ForeignKey(
        GroupDeal, on_delete=models.PROTECT, related_name="groups", verbose_name=_("deal")
    )
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    size = models.PositiveSmallIntegerField(_("size"))
    seats_taken = models.PositiveSmallIntegerField(
        _("seats taken"), default=0, help_text=_("Members with an unpaid or a paid order.")
    )
    paid_count = models.PositiveSmallIntegerField(_("paid members"), default=0)
    filled_by_system = models.PositiveSmallIntegerField(_("seats filled by the system"), default=0)
    created_at = models.DateTimeField(_("created at"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="group_status_deadline"),
            models.Index(fields=["deal", "status"], name="group_deal_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("size")), name="group_seats_within_size"
            ),
            models.CheckConstraint(
                condition=Q(paid_count__lte=F("seats_taken")), name="group_paid_within_seats"
            ),
            models.CheckConstraint(
                condition=Q(filled_by_system__lte=F("size") - F("paid_count")),
                name="group_fill_within_size",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.deal_id} {self.status} {self.paid_count}/{self.size}"


class GroupMember(models.Model):
    """One member's order in a group. held (unpaid) → paid; held → released when the order is
    cancelled unpaid (the seat frees up); paid → refunding → refunded when the group fails."""

    class Role(models.TextChoices):
        LEADER = "leader", _("Leader")
        MEMBER = "member", _("Member")

    class Status(models.TextChoices):
        HELD = "held", _("Unpaid")
        PAID = "paid", _("Paid")
        RELEASED = "released", _("Left (not paid)")
        REFUNDING = "refunding", _("Refund requested")
        REFUNDED = "refunded", _("Refunded")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices)
    order_number = models.CharField(_("order number"), max_length=24, unique=True)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    unit_price = models.PositiveIntegerField(_("unit price (minor units)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.HELD
    )
    refund_attempts = models.PositiveSmallIntegerField(default=0)
    joined_at = models.DateTimeField(_("joined at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        ordering = ["group_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                condition=~Q(status="released"),
                name="group_member_once",
            ),
            models.UniqueConstraint(
                fields=["group"], condition=Q(role="leader"), name="group_one_leader"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="group_member_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}/{self.user_id} {self.status}"
