"""What crosses the promotions boundary: coupon kinds and scopes, the terms a coupon prices
with, and the read models checkout and the pages show. All amounts are minor units."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

# The implicit stacking group of free-shipping coupons: they stack with every other group,
# but an order takes at most one of them.
SHIPPING_GROUP = "shipping"
DEFAULT_GROUP = "platform"


class CouponKind(models.TextChoices):
    FIXED = "fixed", _("Fixed amount off")
    PERCENT = "percent", _("Percent off")
    THRESHOLD = "threshold", _("Spend X, save Y")
    FREE_SHIPPING = "free_shipping", _("Free shipping")


class Scope(models.TextChoices):
    ALL = "all", _("Everything")
    CATEGORIES = "categories", _("Categories (with their subcategories)")
    PRODUCTS = "products", _("Products")


class CouponStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    LOCKED = "locked", _("Held by an unpaid order")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")


class CouponTab(models.TextChoices):
    """The "my coupons" tabs: usable (available and in its window or not yet started),
    used (used or held by an unpaid order), expired."""

    USABLE = "usable", _("Usable")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")


class MemberLevelCode(models.TextChoices):
    # TODO(growth): levels belong to growth; this list moves there with the MemberLevel table.
    SILVER = "silver", _("Silver member")
    GOLD = "gold", _("Gold member")
    PLATINUM = "platinum", _("Platinum member")


@dataclass(frozen=True)
class ScopeTerms:
    """Which lines a coupon or threshold discount covers."""

    scope: str
    category_paths: tuple[str, ...] = ()
    product_ids: frozenset[int] = frozenset()

    def covers(self, *, product_id: int, category_path: str) -> bool:
        if self.scope == Scope.ALL:
            return True
        if self.scope == Scope.PRODUCTS:
            return product_id in self.product_ids
        return any(category_path.startswith(path) for path in self.category_paths)


@dataclass(frozen=True)
class CouponTerms:
    """One user coupon with its template's terms, as the price engine uses it."""

    user_coupon_id: int
    template_id: int
    owner_id: int
    kind: str
    name: str
    name_en: str
    currency: str
    amount: int  # fixed and threshold coupons: what is taken off
    percent: int | None  # percent coupons: 1–99
    max_discount: int | None  # percent coupons: the cap
    min_spend: int  # the eligible goods must reach this (0: no threshold)
    scope: ScopeTerms
    stacking_group: str
    is_new_users_only: bool
    status: str
    valid_from: datetime
    valid_until: datetime

    @property
    def group(self) -> str:
        return SHIPPING_GROUP if self.kind == CouponKind.FREE_SHIPPING else self.stacking_group


@dataclass(frozen=True)
class ThresholdTerms:
    """An automatic basket discount (满减 / 满折)."""

    threshold_id: int
    name: str
    name_en: str
    currency: str
    min_spend: int
    min_quantity: int
    amount_off: int
    percent_off: int | None
    priority: int
    scope: ScopeTerms


@dataclass(frozen=True)
class CouponRef:
    """A claimed coupon, as services answer."""

    id: int
    template_id: int
    status: str
    valid_from: datetime
    valid_until: datetime


@dataclass(frozen=True)
class CouponCard:
    """A coupon as the shopper reads it (claim centre, my coupons, checkout)."""

    id: int  # user coupon id in "my coupons" and checkout; template id in the claim centre
    template_id: int
    name: str
    kind: str
    headline: str  # "¥30 off", "15% off", "Free shipping"
    condition: str  # "On orders from ¥200 · up to ¥50 off · new users only"
    scope_label: str
    currency: str
    status: str
    valid_from: datetime | None
    valid_until: datetime | None
    validity: str  # "Valid until 31 Dec" / "Valid 7 days after claiming"


@dataclass(frozen=True)
class ClaimableCoupon:
    card: CouponCard
    remaining: int | None  # None: unlimited
    claimed_by_viewer: int
    per_user_limit: int

    @property
    def is_sold_out(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    @property
    def may_claim(self) -> bool:
        return not self.is_sold_out and self.claimed_by_viewer < self.per_user_limit


@dataclass(frozen=True)
class CouponChoice:
    """One of my coupons offered at checkout for this basket."""

    card: CouponCard
    group: str
    is_applicable: bool
    reason: str  # why it cannot be used on this basket ("" when it can)
    saving: int  # what it takes off on its own (0 when not applicable)
    is_selected: bool


@dataclass(frozen=True)
class CouponChoiceGroup:
    """Coupons of one stacking group: at most one of them per order (a radio set)."""

    group: str
    choices: list[CouponChoice]

    @property
    def has_selection(self) -> bool:
        return any(choice.is_selected for choice in self.choices)


@dataclass(frozen=True)
class CheckoutCoupons:
    """What the checkout partial renders; `selected_ids` is what to pass as
    options["coupon_ids"] to the quote and to order_place."""

    groups: list[CouponChoiceGroup]
    selected_ids: list[int]
    saving: int  # goods and shipping taken off by the selection
    currency: str
    field_name: str = "coupon_ids"
    unusable: list[CouponChoice] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.unusable


@dataclass(frozen=True)
class BestCoupons:
    coupon_ids: list[int]
    saving: int
    total: int
    currency: str


@dataclass(frozen=True)
class UnlistedCoupon:
    """A non-public campaign handed out by another feature (a live room's drop)."""

    template_id: int
    name: str
    name_en: str
    amount: int
    min_spend: int
    currency: str
    quantity: int | None
    remaining: int | None
    claimed_by_viewer: int
    is_active: bool
