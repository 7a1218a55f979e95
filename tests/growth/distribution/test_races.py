"""Distribution under real concurrency (PostgreSQL, threads): 20 withdrawals of the full
balance → exactly one; settlement by many sweepers → each commission once; duplicate
deliveries of paid/refund events → one commission per line and tier, never a third tier,
exactly reversed on a full refund, nothing for a cancelled order; many links opened at once
→ one binding; opposite upline changes at once → no loop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction

from circlemart.core import clock
from circlemart.core.errors import Conflict, ValidationFailed
from circlemart.growth.distribution import services
from circlemart.growth.distribution.contracts import EntryKind
from circlemart.growth.distribution.models import (
    Commission,
    CommissionAccount,
    CommissionEntry,
    DistributionBinding,
    Distributor,
    Withdrawal,
)
from circlemart.growth.distribution.services.ledger import entry_post
from circlemart.orders import services as order_services
from circlemart.orders.models import Order
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together
from tests.growth.distribution.conftest import assert_ledger, bind, make_distributor, set_rate
from tests.orders.conftest import make_buyer, make_sku, place

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
Pay = Callable[..., Order]


def test_twenty_parallel_withdrawals_of_the_full_balance_make_exactly_one() -> None:
    distributor = make_distributor()
    with transaction.atomic():
        entry_post(
            distributor_id=distributor.pk, kind=EntryKind.SETTLE, idempotency_key="t", settled=5000
        )
    results = run_together(
        20,
        lambda i: services.withdrawal_request(
            user_id=distributor.user_id, amount=5000, idempotency_key=f"w{i}"
        ),
    )
    made = [r for r in results if isinstance(r, Withdrawal)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(made), len(refused)) == (1, 19)
    assert {r.code for r in refused} == {"insufficient_balance"}
    assert Withdrawal.objects.count() == 1
    account = CommissionAccount.objects.get(pk=distributor.pk)
    assert (account.settled, account.withdrawing) == (0, 5000)
    assert_ledger()


def test_many_sweepers_settle_each_commission_exactly_once(pay: Pay) -> None:
    set_rate(1, 1000)
    set_rate(2, 500)
    seller = make_distributor(upline=make_distributor())
    for _ in range(4):
        buyer, address = make_buyer()
        bind(buyer, seller)
        pay(place(buyer, address, make_sku(price=5000)))
    Commission.objects.update(due_at=clock.now() - timedelta(seconds=1))
    results = run_together(8, lambda _i: services.commissions_settle_due())
    assert sum(results) == 8  # 4 orders × 2 tiers, whoever settled them
    assert CommissionEntry.objects.filter(kind="settle").count() == 8
    assert set(Commission.objects.values_list("status", flat=True)) == {"settled"}
    assert CommissionAccount.objects.get(pk=seller.pk).settled == 4 * 500
    assert_ledger()


def test_a_chain_of_three_never_pays_the_third_even_under_duplicate_deliveries(
    pay: Pay,
) -> None:
    set_rate(1, 1000)
    set_rate(2, 500)
    top = make_distributor()
    middle = make_distributor(upline=top)
    seller = make_distributor(upline=middle)
    buyer, address = make_buyer()
    bind(buyer, seller)
    order = pay(place(buyer, address, make_sku(price=5000)))
    results = run_together(10, lambda _i: services.commissions_freeze(order_number=order.number))
    assert results == [0] * 10  # the paid event had already recorded them
    assert sorted(Commission.objects.values_list("distributor_id", "tier", "amount")) == sorted(
        [(seller.pk, 1, 500), (middle.pk, 2, 250)]
    )
    assert not Commission.objects.filter(distributor=top).exists()
    assert CommissionAccount.objects.get(pk=top.pk).frozen == 0


def test_parallel_first_deliveries_record_one_commission_per_line_and_tier(pay: Pay) -> None:
    set_rate(1, 1000)
    seller = make_distributor()
    buyer, address = make_buyer()
    bind(buyer, seller)
    order = pay(place(buyer, address, make_sku(price=5000)))
    # Undo what the paid event recorded, then deliver it ten times at once.
    CommissionEntry.objects.all().delete()
    Commission.objects.all().delete()
    CommissionAccount.objects.filter(pk=seller.pk).update(frozen=0)
    results = run_together(10, lambda _i: services.commissions_freeze(order_number=order.number))
    assert sorted(results) == [0] * 9 + [1], results  # no delivery failed, one wrote
    assert Commission.objects.count() == 1
    assert CommissionAccount.objects.get(pk=seller.pk).frozen == 500
    assert_ledger()


def test_a_full_refund_is_reversed_exactly_once_under_duplicate_deliveries(
    pay: Pay, act: Any
) -> None:
    set_rate(1, 1000)
    set_rate(2, 300)
    seller = make_distributor(upline=make_distributor())
    buyer, address = make_buyer()
    bind(buyer, seller)
    order = pay(place(buyer, address, make_sku(price=7777)))
    act(order_services.order_refund_in_full, number=order.number, reason="test", key="all")
    run_together(10, lambda _i: services.commissions_reverse(order_number=order.number))
    assert list(Commission.objects.order_by("tier").values_list("amount", "reversed_amount")) == [
        (777, 777),
        (233, 233),
    ]
    assert CommissionEntry.objects.filter(kind="reverse").count() == 2
    assert set(CommissionAccount.objects.values_list("frozen", flat=True)) == {0}
    assert_ledger()


def test_a_cancelled_order_earns_nothing_whatever_arrives(act: Any) -> None:
    set_rate(1, 1000)
    seller = make_distributor()
    buyer, address = make_buyer()
    bind(buyer, seller)
    order = place(buyer, address, make_sku(price=5000))
    services.commission_order_record(
        order_number=order.number, buyer_id=buyer.pk, placed_at=order.placed_at
    )
    act(order_services.order_cancel, actor_id=buyer.pk, number=order.number)
    results = run_together(10, lambda _i: services.commissions_freeze(order_number=order.number))
    assert results == [0] * 10
    assert not Commission.objects.exists()
    assert not CommissionEntry.objects.exists()


def test_many_links_opened_at_once_bind_the_buyer_to_one_distributor() -> None:
    distributors = [make_distributor() for _ in range(8)]
    links = [services.link_create(user_id=d.user_id, target="shop") for d in distributors]
    buyer = UserFactory()
    results = run_together(
        8,
        lambda i: services.link_open(token=services.link_token(links[i].pk), visitor_id=buyer.pk),
    )
    assert sum(1 for r in results if getattr(r, "bound", False)) == 1
    assert DistributionBinding.objects.filter(buyer=buyer).count() == 1


def test_opposite_upline_changes_at_once_never_make_a_loop(operator: Any) -> None:
    a, b = make_distributor(), make_distributor()
    results = run_together(
        2,
        lambda i: services.distributor_upline_set(
            operator_id=operator.pk,
            distributor_id=(a, b)[i].pk,
            upline_id=(b, a)[i].pk,
        ),
    )
    assert sum(1 for r in results if isinstance(r, Distributor)) == 1
    assert sum(1 for r in results if isinstance(r, ValidationFailed)) == 1
    uplines = dict(Distributor.objects.values_list("pk", "upline_id"))
    assert uplines in ({a.pk: b.pk, b.pk: None}, {a.pk: None, b.pk: a.pk})
