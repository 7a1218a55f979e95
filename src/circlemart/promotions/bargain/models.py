"""Tables of bargains (砍价): deals (a SKU that friends cut down to a floor price), the bargains
shoppers start, and one row per friend's cut.

A bargain's price and helper count change only through one conditional UPDATE in
services.py (compare-and-set on the count and the price). The deal's floor and helper
count are copied into each bargain so that CheckConstraints can refuse a price below the floor
and a helper past the count; unique constraints refuse a second cut by one friend and a
second live bargain of one user on one deal."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from circlemart.promotions.bargain.contracts import (
    LIVE_STATUSES,
    MAX_DURATION_HOURS,
    MAX_HELPERS,
    BargainStatus,
)


class BargainDeal(models.Model):
    """One SKU that shoppers may bargain down from its price to `floor_price` with the help of
    `helpers_needed` friends, each bargain lasting `duration_hours` (and never past the deal's
    end)."""

    name = models.CharField(_("name"), max_length=60)
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU")
    )
    floor_price = models.PositiveIntegerField(
        _("floor price (minor units)"),
        help_text=_("The lowest price friends can cut the SKU down to."),
    )
    helpers_needed = models.PositiveSmallIntegerField(
        _("helpers needed"),
        default=5,
        help_text=_("The floor price is reached exactly with this many friends' cuts."),
    )
    duration_hours = models.PositiveSmallIntegerField(
        _("time to bargain (hours)"),
        default=24,
        help_text=_("How long one bargain stays open for cuts and buying after it starts."),
    )
    max_starts_per_user = models.PositiveSmallIntegerField(
        _("bargains per user"),
        default=1,
        help_text=_("How many bargains one shopper may start on this deal in all."),
    )
    buy_only_at_floor = models.BooleanField(
        _("sell at the floor price only"),
        default=False,
        help_text=_(
            "When on, the starter can buy only once the floor price is reached; otherwise at "
            "whatever price friends have reached so far."
        ),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(
        _("ends at"), help_text=_("No bargain starts, gets cut or is bought after this.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bargain deal")
        verbose_name_plural = _("bargain deals")
        ordering = ["-starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="bargain_deal_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(floor_price__gte=1), name="bargain_deal_floor_positive"
            ),
            models.CheckConstraint(
                condition=Q(helpers_needed__gte=1) & Q(helpers_needed__lte=MAX_HELPERS),
                name="bargain_deal_helpers_range",
            ),
            models.CheckConstraint(
                condition=Q(duration_hours__gte=1) & Q(duration_hours__lte=MAX_DURATION_HOURS),
                name="bargain_deal_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(max_starts_per_user__gte=1), name="bargain_deal_starts_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The end must be after the start.")
        if self.floor_price is not None and self.floor_price < 1:
            errors["floor_price"] = _("The floor price must be positive.")
        if self.helpers_needed is not None and not 1 <= self.helpers_needed <= MAX_HELPERS:
            errors["helpers_needed"] = _("From 1 to %(max)d helpers.") % {"max": MAX_HELPERS}
        if self.duration_hours is not None and not 1 <= self.duration_hours <= MAX_DURATION_HOURS:
            errors["duration_hours"] = _("From 1 to %(max)d hours.") % {"max": MAX_DURATION_HOURS}
        if self.max_starts_per_user is not None and self.max_starts_per_user < 1:
            errors["max_starts_per_user"] = _("At least 1.")
        if errors:
            raise ValidationError(errors)


class Bargain(models.Model):
    """One shopper's bargain on a deal: starts at the SKU's price then, friends cut it down to
    the floor; the starter buys it at the price reached (`order_number` holds the order)."""

    deal = models.ForeignKey(
        BargainDeal, on_delete=models.PROTECT, related_name="bargains", verbose_name=_("deal")
    )
    starter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("starter"),
    )
    start_number = models.PositiveSmallIntegerField(
        _("start number"), help_text=_("The starter's 1st, 2nd… bargain on this deal.")
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    start_price = models.PositiveIntegerField(_("start price (minor units)"))
    current_price = models.PositiveIntegerField(_("current price (minor units)"))
    floor_price = models.PositiveIntegerField(_("floor price (minor units)"))
    helpers_needed = models.PositiveSmallIntegerField(_("helpers needed"))
    helpers_count = models.PositiveSmallIntegerField(_("helpers"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=BargainStatus.choices, default=BargainStatus.ACTIVE
    )
    order_number = models.CharField(_("order number"), max_length=24, blank=True, default="")
    started_at = models.DateTimeField(_("started at"))
    expires_at = models.DateTimeField(_("open until"))
    reached_at = models.DateTimeField(_("floor reached at"), null=True, blank=True)
    purchased_at = models.DateTimeField(_("bought at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bargain")
        verbose_name_plural = _("bargains")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="bargain_status_expiry"),
            models.Index(fields=["order_number"], name="bargain_order"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "starter"],
                condition=Q(status__in=LIVE_STATUSES),
                name="bargain_one_live_per_user",
            ),
            models.UniqueConstraint(
                fields=["deal", "starter", "start_number"], name="bargain_start_number_once"
            ),
            models.CheckConstraint(
                condition=Q(start_number__gte=1), name="bargain_start_number_positive"
            ),
            models.CheckConstraint(condition=Q(floor_price__gte=1), name="bargain_floor_positive"),
            models.CheckConstraint(
                condition=Q(current_price__gte=F("floor_price")), name="bargain_price_above_floor"
            ),
            models.CheckConstraint(
                condition=Q(current_price__lte=F("start_price")),
                name="bargain_price_below_start",
            ),
            # Every helper must be able to cut at least one minor unit.
            models.CheckConstraint(
                condition=Q(start_price__gte=F("floor_price") + F("helpers_needed")),
                name="bargain_room_for_every_helper",
            ),
            models.CheckConstraint(
                condition=Q(helpers_needed__gte=1), name="bargain_helpers_needed_positive"
            ),
            # The floor is reached with the last helper, never before nor after.
            models.CheckConstraint(
                condition=(
                    Q(helpers_count__lt=F("helpers_needed"), current_price__gt=F("floor_price"))
                    | Q(helpers_count=F("helpers_needed"), current_price=F("floor_price"))
                ),
                name="bargain_floor_with_last_helper",
            ),
            models.CheckConstraint(
                condition=~Q(status=BargainStatus.REACHED) | Q(current_price=F("floor_price")),
                name="bargain_reached_at_floor",
            ),
            models.CheckConstraint(
                condition=~Q(status=BargainStatus.PURCHASED) | ~Q(order_number=""),
                name="bargain_purchase_has_order",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.deal_id} {self.status} {self.current_price}"


class BargainHelp(models.Model):
    """One friend's cut of a bargain: the `sequence`-th, taking `cut` minor units off."""

    bargain = models.ForeignKey(
        Bargain, on_delete=models.CASCADE, related_name="helps", verbose_name=_("bargain")
    )
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("helper"),
    )
    sequence = models.PositiveSmallIntegerField(_("sequence"))
    cut = models.PositiveIntegerField(_("cut (minor units)"))
    price_after = models.PositiveIntegerField(_("price after the cut (minor units)"))
    helped_at = models.DateTimeField(_("helped at"))

    class Meta:
        verbose_name = _("bargain help")
        verbose_name_plural = _("bargain helps")
        ordering = ["bargain_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["bargain", "helper"], name="bargain_help_once"),
            models.UniqueConstraint(fields=["bargain", "sequence"], name="bargain_help_sequence"),
            models.CheckConstraint(condition=Q(cut__gte=1), name="bargain_cut_positive"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="bargain_sequence_positive"),
            models.CheckConstraint(
                condition=Q(price_after__gte=1), name="bargain_price_after_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bargain_id}#{self.sequence}: −{self.cut}"
