"""Commission rates: set by operators (two tiers at most, 0–100 %), resolved per order line
(product > category, nearest first > default; the distributor's level > any level)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.growth.distribution import errors
from circlemart.growth.distribution.contracts import FULL_RATE, TIERS, RateScope
from circlemart.growth.distribution.models import CommissionRate, DistributorLevel
from circlemart.growth.distribution.services.distributors import require_operator

RATE_PERMISSION = "growth.change_commissionrate"


def check_tier(tier: object) -> int:
    """Tiers are 1 and 2. A third (or any other) is refused: pay further up the chain is
    what anti-pyramid-selling law forbids."""
    if not isinstance(tier, int) or isinstance(tier, bool) or tier not in TIERS:
        raise ValidationFailed(
            _("Commission has at most two tiers: 1 (the seller) or 2 (their recruiter)."),
            code=errors.TIER_NOT_ALLOWED,
            field="tier",
        )
    return tier


def check_rate(rate_bp: object) -> int:
    if (
        not isinstance(rate_bp, int)
        or isinstance(rate_bp, bool)
        or rate_bp < 0
        or rate_bp > FULL_RATE
    ):
        raise ValidationFailed(
            _("A rate is between 0 and 10000 basis points (0–100 %)."),
            code=errors.INVALID_RATE,
            field="rate_bp",
        )
    return rate_bp


def check_scope(scope: str, target_id: int) -> RateScope:
    try:
        kind = RateScope(scope)
    except ValueError:
        raise ValidationFailed(
            _("Choose product, category or default."), code=errors.INVALID_TARGET, field="scope"
        ) from None
    if kind == RateScope.DEFAULT:
        if target_id:
            raise ValidationFailed(
                _("A default rate has no target."), code=errors.INVALID_TARGET, field="target_id"
            )
        return kind
    exists = target_id > 0 and (
        bool(catalog_selectors.product_category_ids([target_id]))
        if kind == RateScope.PRODUCT
        else bool(catalog_selectors.categories_by_id([target_id]))
    )
    if not exists:
        raise ValidationFailed(
            _("This product or category does not exist."),
            code=errors.INVALID_TARGET,
            field="target_id",
        )
    return kind


def commission_rate_set(
    *,
    operator_id: int,
    scope: str,
    tier: int,
    rate_bp: int,
    target_id: int = 0,
    level_id: int | None = None,
) -> CommissionRate:
    """Create or change one rate. Refused with 400 naming the field: a tier other than 1 or
    2, a rate below 0 or above 100 %, an unknown target or level. Nothing is written then."""
    require_operator(operator_id, RATE_PERMISSION)
    check_tier(tier)
    check_rate(rate_bp)
    kind = check_scope(scope, target_id)
    if level_id is not None and not DistributorLevel.objects.filter(pk=level_id).exists():
        raise ValidationFailed(_("No such level."), field="level_id")
    target_id = 0 if kind == RateScope.DEFAULT else target_id
    lookup: dict[str, Any] = {
        "scope": kind.value,
        "target_id": target_id,
        "level_id": level_id,
        "tier": tier,
    }
    try:
        with transaction.atomic():
            rate, _created = CommissionRate.objects.update_or_create(
                defaults={"rate_bp": rate_bp}, **lookup
            )
    except IntegrityError:  # created at the same moment by another operator: change it
        rate = CommissionRate.objects.get(**lookup)
        rate.rate_bp = rate_bp
        rate.save(update_fields=["rate_bp", "updated_at"])
    return rate


def commission_rate_delete(*, operator_id: int, rate_id: int) -> None:
    require_operator(operator_id, RATE_PERMISSION)
    deleted, _rows = CommissionRate.objects.filter(pk=rate_id).delete()
    if not deleted:
        raise NotFound(_("No such rate."), field="rate")


@dataclass(frozen=True)
class RateTable:
    """The rates that can apply to some products, loaded once per order."""

    rates: dict[tuple[str, int, int | None, int], int]
    category_chain: dict[int, list[int]]  # product → its category, then each parent, root last

    def rate_for(self, *, product_id: int, level_id: int | None, tier: int) -> int:
        targets = [(RateScope.PRODUCT.value, product_id)]
        targets += [(RateScope.CATEGORY.value, c) for c in self.category_chain.get(product_id, [])]
        targets.append((RateScope.DEFAULT.value, 0))
        for scope, target_id in targets:
            for level in (level_id, None) if level_id is not None else (None,):
                found = self.rates.get((scope, target_id, level, tier))
                if found is not None:
                    return found
        return 0


def rate_table(product_ids: Iterable[int]) -> RateTable:
    products = list(set(product_ids))
    category_of = catalog_selectors.product_category_ids(products)
    nodes = catalog_selectors.categories_by_id(category_of.values())
    chains: dict[int, list[int]] = {}
    for product_id, category_id in category_of.items():
        node = nodes.get(category_id)
        trail = catalog_selectors.category_trail(node.path) if node is not None else []
        chains[product_id] = [category_id] + [
            step.id for step in reversed(trail) if step.id != category_id
        ]
    categories = {c for chain in chains.values() for c in chain}
    rows = CommissionRate.objects.filter(
        scope=RateScope.PRODUCT, target_id__in=products
    ).values_list("scope", "target_id", "level_id", "tier", "rate_bp")
    rows = rows.union(
        CommissionRate.objects.filter(
            scope=RateScope.CATEGORY, target_id__in=categories
        ).values_list("scope", "target_id", "level_id", "tier", "rate_bp"),
        CommissionRate.objects.filter(scope=RateScope.DEFAULT).values_list(
            "scope", "target_id", "level_id", "tier", "rate_bp"
        ),
        all=True,
    )
    rates: dict[tuple[str, int, int | None, int], int] = {
        (scope, target, level, tier): rate for scope, target, level, tier, rate in rows
    }
    return RateTable(rates=rates, category_chain=chains)
