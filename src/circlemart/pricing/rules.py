"""The rule registry: promotions (and anything else that changes prices) registers rules here;
the engine runs them stage by stage in a fixed, documented order."""

from __future__ import annotations

import dataclasses

from circlemart.core.money import Money
from circlemart.pricing.contracts import (
    STAGE_ORDER,
    Adjustment,
    CommitHook,
    PlacedOrder,
    PricingContext,
    PricingRule,
    Stage,
)

_rules: dict[str, PricingRule] = {}
_commit_hooks: dict[str, CommitHook] = {}


def register_commit_hook(hook: CommitHook) -> CommitHook:
    _commit_hooks[hook.code] = hook
    return hook


def unregister_commit_hook(code: str) -> None:
    _commit_hooks.pop(code, None)


def run_commit_hooks(placed: PlacedOrder) -> None:
    """In code order, so the same order always uses things up in the same sequence."""
    for code in sorted(_commit_hooks):
        _commit_hooks[code].on_order_placed(placed)


def register_rule(rule: PricingRule) -> PricingRule:
    _rules[rule.code] = rule
    return rule


def unregister_rule(code: str) -> None:
    _rules.pop(code, None)


def rules_in_order() -> list[PricingRule]:
    """Stage order first, then priority, then code: the same inputs always price the same."""
    rank = {stage: index for index, stage in enumerate(STAGE_ORDER)}
    return sorted(_rules.values(), key=lambda rule: (rank[rule.stage], rule.priority, rule.code))


def allocate_discount(
    context: PricingContext,
    *,
    amount: int,
    rule: str,
    label: str,
    stage: Stage = Stage.ORDER,
    sku_ids: set[int] | None = None,
) -> int:
    """Take up to `amount` off the eligible lines, split in proportion to their totals with
    exact remainders (Money.allocate), never below zero. Returns what was actually taken."""
    eligible = [
        index
        for index, line in enumerate(context.lines)
        if (sku_ids is None or line.sku_id in sku_ids) and line.total > 0
    ]
    ceiling = sum(context.lines[index].total for index in eligible)
    taken = min(max(amount, 0), ceiling)
    if taken == 0:
        return 0
    shares = Money(taken, context.currency).allocate(
        [context.lines[index].total for index in eligible]
    )
    for index, share in zip(eligible, shares, strict=True):
        line = context.lines[index]
        context.lines[index] = dataclasses.replace(line, discount=line.discount + share.amount)
    context.adjustments.append(Adjustment(stage=stage, rule=rule, label=label, amount=taken))
    return taken
