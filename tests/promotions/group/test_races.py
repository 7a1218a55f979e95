"""Group-buy races on real PostgreSQL with real threads: parallel joins never overfill a
group, one user clicking many times is one member, parallel payments fill groups exactly, and
groups that expire short refund every paid member exactly once while sweeps run twice at once
and refund webhooks arrive twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from circlemart.core import clock
from circlemart.core.events import relay_pending
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from circlemart.payments import gateway
from circlemart.payments.models import Refund
from circlemart.promotions.group import services as group_services
from circlemart.promotions.group.models import Group, GroupDeal, GroupMember
from tests.accounts.test_races import run_together
from tests.orders.conftest import token_of
from tests.promotions.conftest import make_buyer, make_sku
from tests.promotions.coupons.test_races import outcome

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def settle() -> None:
    """Deliver the outbox until it is empty (on-commit work runs at once in these tests)."""
    for _round in range(20):
        if not relay_pending():
            return


def pay(number: str, behaviour: gateway.Behaviour | None = None) -> None:
    order = Order.objects.get(number=number)
    payment = order_services.order_pay(
        buyer_id=order.buyer_id, number=number, return_url=f"/orders/{number}/"
    )
    token = token_of(payment.redirect_url)
    if behaviour is not None:
        charge = gateway.charge_by_token(token=token)
        gateway.charge_set_behaviour(charge_id=charge.charge_id, behaviour=behaviour)
    gateway.charge_complete(token=token, pay=True)


def make_deal(size: int = 3) -> GroupDeal:
    return GroupDeal.objects.create(
        name="拼团",
        sku_id=make_sku(price=9900, stock=500),
        group_price=5900,
        group_size=size,
        starts_at=clock.now() - timedelta(hours=1),
        ends_at=clock.now() + timedelta(days=1),
    )


def open_groups(
    deal: GroupDeal, count: int, behaviour: gateway.Behaviour | None = None
) -> list[int]:
    ids = []
    for _index in range(count):
        leader, address = make_buyer()
        ref = group_services.group_open(buyer_id=leader.pk, deal_id=deal.pk, address_id=address)
        pay(ref.order_number, behaviour)
        ids.append(ref.group_id)
    settle()
    assert set(Group.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"open"}
    return ids


def test_thirty_users_racing_to_join_groups_of_three() -> None:
    deal = make_deal(size=3)
    groups = open_groups(deal, 5)  # 5 groups × 2 free seats = 10 seats for 30 people
    joiners = [make_buyer() for _ in range(30)]

    def join(index: int) -> Any:
        user, address = joiners[index]
        return group_services.group_join(
            buyer_id=user.pk, group_id=groups[index % 5], address_id=address
        )

    results = run_together(30, join)
    assert Counter(outcome(r) for r in results) == {"ok": 10, "group_full": 20}
    for group in Group.objects.filter(pk__in=groups):
        live = GroupMember.objects.filter(group=group).exclude(status="released")
        assert live.count() == group.seats_taken == 3
    assert Order.objects.filter(status="pending_payment").count() == 10

    # Everyone who got a seat pays at once: every group fills exactly.
    numbers = [r.order_number for r in results if outcome(r) == "ok"]
    paid = run_together(len(numbers), lambda index: pay(numbers[index]))
    assert [outcome(r) for r in paid] == ["ok"] * len(numbers)
    settle()
    for group in Group.objects.filter(pk__in=groups):
        assert (group.status, group.paid_count, group.seats_taken) == ("succeeded", 3, 3)
    members = GroupMember.objects.filter(group_id__in=groups)
    assert members.filter(status="paid").count() == 15
    numbers = list(members.values_list("order_number", flat=True))
    assert set(
        Order.objects.filter(number__in=numbers).values_list("fulfilment_hold", flat=True)
    ) == {""}


def test_one_user_clicking_join_twelve_times_is_one_member() -> None:
    deal = make_deal(size=5)
    (group_id,) = open_groups(deal, 1)
    user, address = make_buyer()
    results = run_together(
        12,
        lambda index: group_services.group_join(
            buyer_id=user.pk, group_id=group_id, address_id=address, idempotency_key=f"k{index}"
        ),
    )
    counts = Counter(outcome(r) for r in results)
    assert counts["ok"] == 1
    assert set(counts) <= {"ok", "group_already_member"}
    assert GroupMember.objects.filter(group_id=group_id, user=user).count() == 1
    assert Group.objects.get(pk=group_id).seats_taken == 2
    assert Order.objects.filter(buyer=user).count() == 1


def test_short_groups_refund_every_paid_member_exactly_once() -> None:
    deal = make_deal(size=3)
    twice = gateway.Behaviour(duplicate_webhooks=True)
    groups = open_groups(deal, 4, behaviour=twice)
    joiners = [make_buyer() for _ in range(4)]
    refs = [
        group_services.group_join(buyer_id=user.pk, group_id=group_id, address_id=address)
        for (user, address), group_id in zip(joiners, groups, strict=True)
    ]
    for ref in refs:
        pay(ref.order_number, twice)
    settle()
    Group.objects.filter(pk__in=groups).update(expires_at=clock.now() - timedelta(seconds=1))

    def sweep(_index: int) -> Any:
        ended = group_services.groups_expire()
        settle()
        group_services.group_refunds_retry()
        settle()
        return ended

    results = run_together(4, sweep)
    assert [outcome(r) for r in results] == ["ok"] * 4
    assert sum(failed for _succeeded, failed in results) == 4
    settle()
    assert set(Group.objects.filter(pk__in=groups).values_list("status", flat=True)) == {"failed"}
    members = GroupMember.objects.filter(group_id__in=groups)
    assert members.count() == 8
    for member in members:
        order = Order.objects.get(number=member.order_number)
        refunds = Refund.objects.filter(order_number=order.number)
        assert member.status == "refunded"
        assert order.status == "refunded"
        assert refunds.count() == 1, order.number
        assert refunds.get().amount == order.paid_amount == order.refunded_amount
