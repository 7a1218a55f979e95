"""Bargain races on real PostgreSQL with real threads: thirty friends cut one bargain that
needs ten at the same instant — exactly ten cuts, the price exactly at the floor, one
`BargainCompleted`; one friend clicking five times at once cuts once; the starter's buy
racing the last cuts is one order at a price no cut went under."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from circlemart.core.models import OutboxEvent
from circlemart.orders.models import Order
from circlemart.promotions.bargain import services as bargain_services
from circlemart.promotions.bargain.models import Bargain, BargainHelp
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together
from tests.promotions.bargain.test_services import bargain_deal
from tests.promotions.conftest import make_buyer
from tests.promotions.coupons.test_races import outcome

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_thirty_friends_cut_a_bargain_that_needs_ten(settings: Any) -> None:
    settings.RATELIMIT_ENABLED = False
    deal = bargain_deal(price=9900, floor_price=990, helpers_needed=10)
    starter = UserFactory()
    bargain_id = bargain_services.bargain_start(deal_id=deal.pk, starter_id=starter.pk).bargain_id
    friends = [UserFactory() for _ in range(30)]
    results = run_together(
        30,
        lambda i: bargain_services.bargain_help(bargain_id=bargain_id, helper_id=friends[i].pk),
    )
    assert Counter(outcome(r) for r in results) == {"ok": 10, "bargain_floor_reached": 20}
    bargain = Bargain.objects.get()
    assert (bargain.status, bargain.current_price, bargain.helpers_count) == ("reached", 990, 10)
    helps = list(BargainHelp.objects.order_by("sequence").values_list("sequence", "cut"))
    assert [sequence for sequence, _cut in helps] == list(range(1, 11))
    assert all(cut >= 1 for _sequence, cut in helps)
    assert sum(cut for _sequence, cut in helps) == 9900 - 990
    assert sorted(r.sequence for r in results if not isinstance(r, Exception)) == list(range(1, 11))
    assert OutboxEvent.objects.filter(event_type="promotions.BargainCompleted").count() == 1


def test_one_friend_clicking_five_times_at_once_cuts_once(settings: Any) -> None:
    settings.RATELIMIT_ENABLED = False
    bargain_id = bargain_services.bargain_start(
        deal_id=bargain_deal().pk, starter_id=UserFactory().pk
    ).bargain_id
    friend = UserFactory()
    results = run_together(
        5, lambda _i: bargain_services.bargain_help(bargain_id=bargain_id, helper_id=friend.pk)
    )
    assert Counter(outcome(r) for r in results) == {"ok": 1, "bargain_already_helped": 4}
    bargain = Bargain.objects.get()
    assert bargain.helpers_count == 1
    assert BargainHelp.objects.get().cut == 9900 - bargain.current_price


def test_the_starter_buys_while_friends_cut(settings: Any) -> None:
    settings.RATELIMIT_ENABLED = False
    starter, address = make_buyer()
    bargain_id = bargain_services.bargain_start(
        deal_id=bargain_deal(helpers_needed=10).pk, starter_id=starter.pk
    ).bargain_id
    friends = [UserFactory() for _ in range(15)]

    def work(index: int) -> Any:
        if index < 3:  # three buy clicks without a key: one order, two refusals
            return bargain_services.bargain_buy(
                buyer_id=starter.pk, bargain_id=bargain_id, address_id=address
            )
        return bargain_services.bargain_help(bargain_id=bargain_id, helper_id=friends[index].pk)

    results = run_together(15, work)
    outcomes = Counter(outcome(r) for r in results[:3])
    assert outcomes["ok"] == 1, outcomes
    assert set(outcomes) <= {"ok", "bargain_purchased"}, outcomes
    helps = {"ok", "bargain_purchased", "bargain_floor_reached"}
    assert {outcome(r) for r in results[3:]} <= helps, [outcome(r) for r in results[3:]]
    order = Order.objects.get()
    bargain = Bargain.objects.get()
    assert (bargain.status, bargain.order_number) == ("purchased", order.number)
    # Cuts stop when the order is written; the order never charges more than the price then.
    assert order.subtotal == bargain.current_price
    assert bargain.current_price >= bargain.floor_price
    assert bargain.helpers_count == BargainHelp.objects.count()
    assert sum(BargainHelp.objects.values_list("cut", flat=True)) == 9900 - bargain.current_price
