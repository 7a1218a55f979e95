"""Promotions API over HTTP: the claim centre, claiming with an Idempotency-Key, redeeming,
my coupons (IDOR-safe), and the best combination for a basket."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.promotions.coupons.contracts import CouponKind
from circlemart.promotions.coupons.models import CouponCode, CouponTemplate, UserCoupon
from tests.accounts.factories import UserFactory
from tests.promotions.conftest import claimed, make_buyer, make_sku, template

pytestmark = pytest.mark.django_db
BASE = "/api/v1/promotions"


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access_token}"}


def post(client: Client, path: str, body: object = None, **extra: str) -> Any:
    return client.post(path, json.dumps(body or {}), content_type="application/json", **extra)


def test_visitors_see_the_claim_centre_and_must_sign_in_to_claim(api_client: Client) -> None:
    coupon_template = template(total_quantity=3, min_spend=5000, name_en="Spring")
    template(is_public=False)
    listing = api_client.get(f"{BASE}/coupons")
    assert listing.status_code == 200
    [item] = listing.json()["items"]
    assert (item["card"]["template_id"], item["card"]["name"], item["remaining"]) == (
        coupon_template.pk,
        "Spring",
        3,
    )
    assert (item["card"]["headline"], item["card"]["condition"]) == (
        "CN¥10.00 off",
        "On orders from CN¥50.00",
    )
    assert (item["may_claim"], item["claimed_by_viewer"]) == (True, 0)
    assert post(api_client, f"{BASE}/coupons/{coupon_template.pk}/claim").status_code == 401


def test_claim_retried_with_one_key_claims_once(api_client: Client) -> None:
    user = UserFactory()
    coupon_template = template(per_user_limit=3)
    path = f"{BASE}/coupons/{coupon_template.pk}/claim"
    answers = [
        post(api_client, path, HTTP_IDEMPOTENCY_KEY="claim-1", **bearer(user)) for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert answers[1]["Idempotent-Replayed"] == "true"
    assert UserCoupon.objects.count() == 1
    limited = template()
    post(api_client, f"{BASE}/coupons/{limited.pk}/claim", **bearer(user))
    again = post(api_client, f"{BASE}/coupons/{limited.pk}/claim", **bearer(user))
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "coupon_claim_limit",
        "message": "You have claimed this coupon the most times allowed (1).",
        "field": "template_id",
        "limit": 1,
    }
    missing = post(api_client, f"{BASE}/coupons/999999/claim", **bearer(user))
    assert (missing.status_code, missing.json()["error"]["code"]) == (
        404,
        "coupon_template_not_found",
    )


def test_claims_are_rate_limited(api_client: Client, settings: Any) -> None:
    user = UserFactory()
    auth = bearer(user)
    coupon_template = template(per_user_limit=100)
    statuses = [
        post(api_client, f"{BASE}/coupons/{coupon_template.pk}/claim", **auth).status_code
        for _ in range(31)
    ]
    assert statuses == [201] * 30 + [429]
    assert CouponTemplate.objects.get().claimed_count == 30


def test_redeem_a_code_and_see_it_in_my_coupons(api_client: Client) -> None:
    user, other = UserFactory(), UserFactory()
    CouponCode.objects.create(template=template(is_public=False, name_en="VIP"), code="VIP88")
    theirs = claimed(other.pk, template())
    redeemed = post(api_client, f"{BASE}/redeem", {"code": "vip88"}, **bearer(user))
    assert redeemed.status_code == 201
    wrong = post(api_client, f"{BASE}/redeem", {"code": "VIP89"}, **bearer(user))
    assert (wrong.status_code, wrong.json()["error"]["field"]) == (404, "code")
    mine = api_client.get(f"{BASE}/me/coupons", **bearer(user))
    assert [c["id"] for c in mine.json()["items"]] == [redeemed.json()["id"]]
    assert theirs not in [c["id"] for c in mine.json()["items"]]
    assert mine.json()["items"][0]["status"] == "available"
    for tab in ("used", "expired"):
        assert api_client.get(f"{BASE}/me/coupons?tab={tab}", **bearer(user)).json()["items"] == []
    bad = api_client.get(f"{BASE}/me/coupons?tab=nope", **bearer(user))
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "tab")


def test_best_for_basket(api_client: Client) -> None:
    buyer, address = make_buyer()
    sku = make_sku(price=3000)
    fixed = claimed(buyer.pk, template(amount=500))
    free = claimed(buyer.pk, template(kind=CouponKind.FREE_SHIPPING, amount=0))
    body = {"items": [{"sku_id": sku, "quantity": 1}], "address_id": address}
    best = post(api_client, f"{BASE}/best", body, **bearer(buyer))
    assert best.status_code == 200
    assert best.json() == {
        "coupon_ids": sorted([fixed, free]),
        "saving": 1300,
        "total": 2500,
        "currency": "CNY",
    }
    _other, foreign_address = make_buyer()
    body["address_id"] = foreign_address
    assert post(api_client, f"{BASE}/best", body, **bearer(buyer)).status_code == 404
    empty = post(api_client, f"{BASE}/best", {"items": []}, **bearer(buyer))
    assert empty.status_code in (400, 422)
