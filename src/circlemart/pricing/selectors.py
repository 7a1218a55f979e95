"""Pricing reads: the shipping rule that applies to a region and method."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from circlemart.pricing.models import ShippingRule


@dataclass(frozen=True)
class ShippingTerms:
    fee: int
    free_over: int | None


def shipping_rule(*, region: str, method: str) -> ShippingTerms:
    """The region's own rule, else the catch-all rule (region ""), else the settings."""
    rules = {
        rule.region: rule
        for rule in ShippingRule.objects.filter(
            region__in=[region, ""], method=method, is_active=True
        )
    }
    rule = rules.get(region) or rules.get("")
    if rule is not None:
        return ShippingTerms(fee=rule.fee, free_over=rule.free_over)
    if method == ShippingRule.Method.EXPRESS:
        return ShippingTerms(fee=settings.SHIPPING_EXPRESS_FEE, free_over=None)
    return ShippingTerms(fee=settings.SHIPPING_STANDARD_FEE, free_over=settings.SHIPPING_FREE_OVER)


def shipping_methods() -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in ShippingRule.Method.choices]
