"""The bargain API over HTTP (django.test.Client): live deals, starting, the share view,
friends' cuts (refusals as 4xx JSON naming the field, translated, rate limited) and the
starter's buy."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.core import clock
from circlemart.orders.models import Order
from circlemart.promotions.bargain import services as bargain_services
from circlemart.promotions.bargain.models import Bargain, BargainHelp
from tests.accounts.factories import UserFactory
from tests.promotions.bargain.test_services import bargain_deal
from tests.promotions.conftest import make_buyer

pytestmark = pytest.mark.django_db
BASE = "/api/v1/promotions/bargains"


def bearer(user: Any) -> str:
    return f"Bearer {token_pair_issue(user=user).access_token}"


def call(
    method: str,
    path: str,
    user: Any = None,
    body: dict[str, Any] | None = None,
    language: str = "en",
    **headers: str,
) -> tuple[int, dict[str, Any]]:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = bearer(user)
    if method == "get":
        answer = client.get(f"{BASE}{path}", **headers)
    else:
        answer = client.post(
            f"{BASE}{path}",
            json.dumps(body or {}),
            content_type="application/json",
            **headers,
        )
    return answer.status_code, answer.json()


def test_deals_are_listed_for_everyone() -> None:
    deal = bargain_deal(price=9900, floor_price=990)
    bargain_deal(starts_in=timedelta(days=1))
    status, body = call("get", "")
    assert status == 200
    assert [
        (d["deal_id"], d["floor_price"], d["list_price"], d["is_live"]) for d in body["items"]
    ] == [(deal.pk, 990, 9900, True)]
    status, one = call("get", f"/deals/{deal.pk}")
    assert (status, one["helpers_needed"]) == (200, 10)
    status, missing = call("get", "/deals/999999")
    assert (status, missing["error"]["code"], missing["error"]["field"]) == (
        404,
        "bargain_deal_not_found",
        "deal_id",
    )


def test_start_help_and_buy_over_http() -> None:
    deal = bargain_deal(helpers_needed=2)
    starter, address = make_buyer()
    status, started = call("post", f"/deals/{deal.pk}/start", starter)
    assert status == 201
    bargain_id = started["bargain_id"]
    assert (started["current_price"], started["status"], started["viewer_is_starter"]) == (
        9900,
        "active",
        True,
    )
    assert (started["may_buy"], started["may_help"], started["helpers"]) == (True, False, [])
    friend = UserFactory(nickname="阿明")
    status, cut = call("post", f"/{bargain_id}/help", friend)
    assert status == 201
    assert (cut["sequence"], cut["helpers_count"], cut["is_floor_reached"]) == (1, 1, False)
    assert cut["current_price"] == 9900 - cut["cut"]
    status, last = call("post", f"/{bargain_id}/help", UserFactory())
    assert (status, last["current_price"], last["is_floor_reached"]) == (201, 990, True)
    status, seen = call("get", f"/{bargain_id}")  # a visitor's view
    assert status == 200
    assert (seen["status"], seen["progress_percent"], seen["order_number"]) == ("reached", 100, "")
    assert [h["nickname"] for h in seen["helpers"]][:1] == ["阿明"]
    status, order = call(
        "post", f"/{bargain_id}/buy", starter, {"address_id": address}, HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert status == 201
    assert (order["unit_price"], order["bargain_id"]) == (990, bargain_id)
    assert "/payments/test-gateway/pay/" in order["payment_url"]
    assert Order.objects.get().number == order["order_number"]
    again = call(
        "post", f"/{bargain_id}/buy", starter, {"address_id": address}, HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert again == (201, order)
    status, twice = call(
        "post", f"/{bargain_id}/buy", starter, {"address_id": address}, HTTP_IDEMPOTENCY_KEY="k2"
    )
    assert (status, twice["error"]) == (
        409,
        {
            "code": "bargain_purchased",
            "message": "This bargain has already been bought.",
            "field": "bargain_id",
        },
    )
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "status", "code", "message"),
    [
        (
            "starter",
            403,
            "bargain_own",
            "You cannot cut your own bargain: ask your friends to help.",
        ),
        (
            "helper",
            409,
            "bargain_already_helped",
            "You have already helped with this bargain: each friend can cut once.",
        ),
    ],
)
def test_help_refusals_name_the_field(who: str, status: int, code: str, message: str) -> None:
    starter = UserFactory()
    bargain_id = bargain_services.bargain_start(
        deal_id=bargain_deal().pk, starter_id=starter.pk
    ).bargain_id
    helper = UserFactory()
    call("post", f"/{bargain_id}/help", helper)
    user = starter if who == "starter" else helper
    answer = call("post", f"/{bargain_id}/help", user)
    assert answer == (status, {"error": {"code": code, "message": message, "field": "bargain_id"}})
    assert BargainHelp.objects.count() == 1


def test_an_expired_bargain_answers_409() -> None:
    starter = UserFactory()
    bargain_id = bargain_services.bargain_start(
        deal_id=bargain_deal().pk, starter_id=starter.pk
    ).bargain_id
    Bargain.objects.update(expires_at=clock.now() - timedelta(seconds=1))
    status, body = call("post", f"/{bargain_id}/help", UserFactory())
    assert (status, body["error"]["code"], body["error"]["message"]) == (
        409,
        "bargain_expired",
        "This bargain has expired.",
    )
    assert BargainHelp.objects.count() == 0


def test_signed_out_callers_cannot_start_help_or_buy() -> None:
    starter = UserFactory()
    deal = bargain_deal()
    bargain_id = bargain_services.bargain_start(deal_id=deal.pk, starter_id=starter.pk).bargain_id
    for path in (f"/deals/{deal.pk}/start", f"/{bargain_id}/help", f"/{bargain_id}/buy"):
        status, body = call("post", path)
        assert (status, body["error"]["code"]) == (401, "not_authenticated")
    assert (Bargain.objects.count(), BargainHelp.objects.count(), Order.objects.count()) == (
        1,
        0,
        0,
    )


def test_someone_elses_bargain_cannot_be_bought() -> None:
    starter = UserFactory()
    bargain_id = bargain_services.bargain_start(
        deal_id=bargain_deal().pk, starter_id=starter.pk
    ).bargain_id
    other, address = make_buyer()
    status, body = call("post", f"/{bargain_id}/buy", other, {"address_id": address})
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        404,
        "bargain_not_found",
        "bargain_id",
    )
    assert Order.objects.count() == 0


def test_starting_twice_points_at_the_live_bargain() -> None:
    deal = bargain_deal()
    starter = UserFactory()
    status, first = call("post", f"/deals/{deal.pk}/start", starter)
    status, again = call("post", f"/deals/{deal.pk}/start", starter)
    assert status == 409
    assert again["error"]["code"] == "bargain_already_started"
    assert (again["error"]["field"], again["error"]["bargain_id"]) == (
        "deal_id",
        first["bargain_id"],
    )


def test_a_friend_hammering_help_links_is_rate_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    # An hour-long window, so the fixed window cannot roll over in the middle of the test.
    monkeypatch.setattr(bargain_services, "HELP_RATE_USER", (3, 3600))
    deal = bargain_deal(max_starts_per_user=1)
    friend = UserFactory()
    statuses = []
    for _bargain in range(5):
        bargain_id = bargain_services.bargain_start(
            deal_id=deal.pk, starter_id=UserFactory().pk
        ).bargain_id
        statuses.append(call("post", f"/{bargain_id}/help", friend)[0])
    assert statuses == [201, 201, 201, 429, 429]
    assert BargainHelp.objects.filter(helper=friend).count() == 3


def test_one_ip_is_rate_limited_across_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bargain_services, "HELP_RATE_IP", (2, 3600))
    bargain_id = bargain_services.bargain_start(
        deal_id=bargain_deal().pk, starter_id=UserFactory().pk
    ).bargain_id
    statuses = [
        call("post", f"/{bargain_id}/help", UserFactory(), REMOTE_ADDR="10.7.7.7")[0]
        for _ in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert call("post", f"/{bargain_id}/help", UserFactory(), REMOTE_ADDR="10.7.7.8")[0] == 201
