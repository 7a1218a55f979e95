"""The distribution API over HTTP: apply, me, links, commissions (masked buyers, paginated),
withdrawals (Idempotency-Key; below minimum / above balance → 4xx naming `amount`, nothing
written), statement CSV, and the operators' endpoints (third tier, bad rates, loops → 4xx)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.growth.distribution import services
from circlemart.growth.distribution.contracts import EntryKind
from circlemart.growth.distribution.models import (
    Commission,
    CommissionRate,
    Distributor,
    PromotionLink,
    Withdrawal,
)
from circlemart.growth.distribution.services.ledger import entry_post
from circlemart.orders.models import Order
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories
from tests.growth.distribution.conftest import bind, make_distributor, set_rate
from tests.orders.conftest import make_buyer, make_sku, place

pytestmark = pytest.mark.django_db
BASE = "/api/v1/growth/distribution"


def bearer(user_id: int) -> dict[str, str]:
    from circlemart.accounts.models import User

    user = User.objects.get(pk=user_id)
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access_token}"}


def post(client: Client, path: str, body: object, user_id: int, **extra: Any) -> Any:
    return client.post(
        f"{BASE}{path}",
        json.dumps(body),
        content_type="application/json",
        **bearer(user_id),
        **extra,
    )


def settle(distributor: Distributor, amount: int) -> None:
    with transaction.atomic():
        entry_post(
            distributor_id=distributor.pk,
            kind=EntryKind.SETTLE,
            idempotency_key=f"test:{distributor.pk}",
            settled=amount,
        )


def test_signing_in_is_required(api_client: Client) -> None:
    assert api_client.get(f"{BASE}/me").status_code == 401
    assert (
        api_client.post(f"{BASE}/apply", "{}", content_type="application/json").status_code == 401
    )


def test_apply_then_me(api_client: Client) -> None:
    user = UserFactory()
    empty = api_client.get(f"{BASE}/me", **bearer(user.pk)).json()
    assert empty == {"distributor": None, "balance": None, "min_withdrawal": 1000}
    applied = post(api_client, "/apply", {}, user.pk)
    assert applied.status_code == 201
    assert (applied.json()["status"], applied.json()["downline_count"]) == ("pending", 0)
    again = post(api_client, "/apply", {}, user.pk)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_applied"
    bad = post(api_client, "/apply", {"upline_code": "ZZZZ9999"}, UserFactory().pk)
    assert bad.status_code == 400
    assert bad.json()["error"] == {
        "code": "upline_unknown",
        "message": "No distributor has this code.",
        "field": "upline_code",
    }
    assert Distributor.objects.count() == 1


def test_links_are_made_listed_and_refused_for_bad_targets(api_client: Client) -> None:
    distributor = make_distributor()
    product = catalog_factories.product()
    made = post(
        api_client, "/links", {"target": "product", "target_id": product.pk}, distributor.user_id
    )
    assert made.status_code == 201
    body = made.json()
    assert (body["target"], body["target_id"], body["title"], body["visits"]) == (
        "product",
        product.pk,
        product.title,
        0,
    )
    assert body["path"] == f"/growth/d/{body['token']}/"
    listed = api_client.get(f"{BASE}/links", **bearer(distributor.user_id)).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    bad = post(
        api_client, "/links", {"target": "product", "target_id": 987654}, distributor.user_id
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "target_id"
    outsider = post(api_client, "/links", {"target": "shop"}, UserFactory().pk)
    assert outsider.status_code == 403
    assert PromotionLink.objects.count() == 1


def test_my_commissions_are_paginated_with_buyers_masked(api_client: Client, pay) -> None:
    set_rate(1, 1000)
    distributor = make_distributor()
    for _ in range(3):
        buyer, address = make_buyer()
        buyer.nickname = "张三丰"
        buyer.save()
        bind(buyer, distributor)
        pay(place(buyer, address, make_sku(price=5000)))
    first = api_client.get(f"{BASE}/commissions?limit=2", **bearer(distributor.user_id)).json()
    assert [item["amount"] for item in first["items"]] == [500, 500]
    assert {item["buyer"] for item in first["items"]} == {"张***"}
    assert first["items"][0]["status"] == "frozen"
    rest = api_client.get(
        f"{BASE}/commissions?limit=2&cursor={first['next_cursor']}", **bearer(distributor.user_id)
    ).json()
    assert (len(rest["items"]), rest["next_cursor"]) == (1, None)
    numbers = {i["order_number"] for i in first["items"] + rest["items"]}
    assert numbers == set(Order.objects.values_list("number", flat=True))
    me = api_client.get(f"{BASE}/me", **bearer(distributor.user_id)).json()
    assert me["balance"] == {
        "frozen": 1500,
        "settled": 0,
        "withdrawing": 0,
        "withdrawn": 0,
        "currency": "CNY",
    }


def test_withdrawals_over_http(api_client: Client) -> None:
    distributor = make_distributor()
    settle(distributor, 5000)
    below = post(api_client, "/withdrawals", {"amount": 999}, distributor.user_id)
    assert below.status_code == 400
    assert below.json()["error"]["code"] == "below_minimum"
    assert below.json()["error"]["field"] == "amount"
    above = post(api_client, "/withdrawals", {"amount": 5001}, distributor.user_id)
    assert above.status_code == 409
    assert (above.json()["error"]["code"], above.json()["error"]["field"]) == (
        "insufficient_balance",
        "amount",
    )
    text = post(api_client, "/withdrawals", {"amount": "lots"}, distributor.user_id)
    assert text.status_code in (400, 422)
    assert not Withdrawal.objects.exists()
    made = post(
        api_client,
        "/withdrawals",
        {"amount": 3000},
        distributor.user_id,
        HTTP_IDEMPOTENCY_KEY="w-1",
    )
    repeat = post(
        api_client,
        "/withdrawals",
        {"amount": 3000},
        distributor.user_id,
        HTTP_IDEMPOTENCY_KEY="w-1",
    )
    assert made.status_code == repeat.status_code == 201
    assert made.json() == repeat.json()
    assert (made.json()["amount"], made.json()["status"]) == (3000, "requested")
    assert Withdrawal.objects.count() == 1
    listed = api_client.get(f"{BASE}/withdrawals", **bearer(distributor.user_id)).json()
    assert [w["id"] for w in listed["items"]] == [made.json()["id"]]


def test_the_statement_is_csv_of_my_entries_and_everyones_for_operators(
    api_client: Client, operator
) -> None:
    mine, other = make_distributor(), make_distributor()
    settle(mine, 1200)
    settle(other, 800)
    response = api_client.get(f"{BASE}/statement.csv", **bearer(mine.user_id))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = b"".join(response.streaming_content).decode().strip().splitlines()
    assert rows[0] == "at,distributor_id,kind,reference,frozen,withdrawable,withdrawing,withdrawn"
    assert [row.split(",")[1:] for row in rows[1:]] == [
        [str(mine.pk), "settle", "", "0", "1200", "0", "0"]
    ]
    denied = api_client.get(f"{BASE}/statement.csv?scope=all", **bearer(mine.user_id))
    assert denied.status_code == 403
    everything = api_client.get(f"{BASE}/statement.csv?scope=all", **bearer(operator.pk))
    lines = b"".join(everything.streaming_content).decode().strip().splitlines()
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"scope": "default", "tier": 3, "rate_bp": 100}, "tier_not_allowed", "tier"),
        ({"scope": "default", "tier": 1, "rate_bp": -100}, "invalid_rate", "rate_bp"),
        ({"scope": "default", "tier": 2, "rate_bp": 10001}, "invalid_rate", "rate_bp"),
    ],
)
def test_operators_cannot_configure_a_third_tier_or_bad_rates(
    api_client: Client, operator, body, code, field
) -> None:
    response = post(api_client, "/rates", body, operator.pk)
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert not CommissionRate.objects.exists()


def test_operators_set_rates_and_others_may_not(api_client: Client, operator) -> None:
    made = post(api_client, "/rates", {"scope": "default", "tier": 2, "rate_bp": 250}, operator.pk)
    assert made.status_code == 201
    assert made.json() | {"id": 0} == {
        "id": 0,
        "scope": "default",
        "target_id": 0,
        "level_id": None,
        "tier": 2,
        "rate_bp": 250,
    }
    denied = post(
        api_client, "/rates", {"scope": "default", "tier": 1, "rate_bp": 1}, UserFactory().pk
    )
    assert denied.status_code == 403
    assert list(CommissionRate.objects.values_list("tier", "rate_bp")) == [(2, 250)]


def test_an_upline_loop_is_a_400_and_nothing_changes(api_client: Client, operator) -> None:
    a = make_distributor()
    b = make_distributor(upline=a)
    response = client_put(
        api_client, f"/distributors/{a.pk}/upline", {"upline_id": b.pk}, operator.pk
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "upline_loop"
    assert response.json()["error"]["field"] == "upline"
    a.refresh_from_db()
    assert a.upline_id is None


def test_operators_review_applications_and_withdrawals(api_client: Client, operator) -> None:
    user = UserFactory()
    applied = services.distributor_apply(user_id=user.pk)
    reviewed = post(
        api_client, f"/distributors/{applied.pk}/review", {"approve": True}, operator.pk
    )
    assert (reviewed.status_code, reviewed.json()["status"]) == (200, "approved")
    settle(applied, 2000)
    withdrawal = services.withdrawal_request(user_id=user.pk, amount=2000)
    rejected = post(
        api_client,
        f"/withdrawals/{withdrawal.pk}/review",
        {"approve": False, "note": "ID"},
        operator.pk,
    )
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    not_operator = post(
        api_client, f"/withdrawals/{withdrawal.pk}/review", {"approve": True}, user.pk
    )
    assert not_operator.status_code == 403


def client_put(client: Client, path: str, body: object, user_id: int) -> Any:
    return client.put(
        f"{BASE}{path}", json.dumps(body), content_type="application/json", **bearer(user_id)
    )


def test_commission_rows_never_leak_to_other_distributors(api_client: Client, pay) -> None:
    set_rate(1, 1000)
    seller, stranger = make_distributor(), make_distributor()
    buyer, address = make_buyer()
    bind(buyer, seller)
    pay(place(buyer, address, make_sku(price=5000)))
    assert Commission.objects.count() == 1
    theirs = api_client.get(f"{BASE}/commissions", **bearer(stranger.user_id)).json()
    assert theirs == {"items": [], "next_cursor": None}
