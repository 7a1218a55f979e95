"""Paying a reward: points into the ledger or a coupon into the wallet, once per idempotency
key, inside the caller's transaction (a refused coupon rolls the whole reward back)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from circlemart.core import clock
from circlemart.growth.contracts import Reward, RewardKind, RewardPaid
from circlemart.growth.models import RewardGrant
from circlemart.growth.points import services as points_services
from circlemart.promotions.coupons import services as coupon_services


def _paid(grant: RewardGrant, *, was_new: bool) -> RewardPaid:
    return RewardPaid(
        kind=RewardKind(grant.kind),
        points=grant.points,
        user_coupon_id=grant.user_coupon_id,
        was_new=was_new,
    )


def reward_grant(
    *, user_id: int, reward: Reward, reason: str, idempotency_key: str, reference: str = ""
) -> RewardPaid:
    """Pay `reward` to `user_id`. The same key pays once: a repeat returns the first grant
    with was_new=False. A coupon that cannot be given (sold out, expired template) raises
    its 409 and nothing is written."""
    existing = RewardGrant.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _paid(existing, was_new=False)
    try:
        with transaction.atomic():
            grant = RewardGrant.objects.create(
                user_id=user_id,
                kind=reward.kind.value,
                points=reward.points if reward.kind == RewardKind.POINTS else 0,
                coupon_template_id=reward.coupon_template_id,
                reason=reason,
                reference=reference,
                idempotency_key=idempotency_key,
                created_at=clock.now(),
            )
            if reward.kind == RewardKind.POINTS:
                points_services.points_earn(
                    user_id=user_id,
                    amount=reward.points,
                    reason=reason,
                    reference=reference,
                    idempotency_key=f"reward:{idempotency_key}",
                )
            else:
                assert reward.coupon_template_id is not None
                coupon = coupon_services.coupon_grant(
                    user_id=user_id, template_id=reward.coupon_template_id
                )
                grant.user_coupon_id = coupon.id
                grant.save(update_fields=["user_coupon_id"])
    except IntegrityError:
        # A concurrent grant under the same key won the unique index: report it.
        existing = RewardGrant.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _paid(existing, was_new=False)
    return _paid(grant, was_new=True)
