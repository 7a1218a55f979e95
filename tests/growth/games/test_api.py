"""Games API over HTTP: live games, a game with my chances, playing with an Idempotency-Key,
refusals naming their field (nothing written), buying a chance, my results (mine only)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.growth.games.models import GameSpin
from circlemart.growth.points import selectors as points_selectors
from circlemart.growth.points import services as points_services
from tests.accounts.factories import UserFactory
from tests.growth.games.conftest import make_game, nothing, points_prize

pytestmark = pytest.mark.django_db
BASE = "/api/v1/growth/games"


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access_token}"}


def post(client: Client, path: str, **extra: str) -> Any:
    return client.post(path, json.dumps({}), content_type="application/json", **extra)


def test_visitors_see_live_games_and_their_slots(api_client: Client) -> None:
    make_game(prizes=[points_prize(10), nothing()], description="每天一次")
    make_game("off", is_active=False)
    listing = api_client.get(BASE)
    assert listing.status_code == 200
    assert [(g["slug"], g["name"], g["kind"]) for g in listing.json()["items"]] == [
        ("wheel", "Lucky wheel", "wheel")
    ]
    detail = api_client.get(f"{BASE}/wheel").json()
    assert [(p["name"], p["kind"], p["position"]) for p in detail["prizes"]] == [
        ("10 points", "points", 0),
        ("Thanks", "none", 1),
    ]
    assert detail["chances"] is None
    missing = api_client.get(f"{BASE}/off")
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "game_not_found",
        "message": "This game does not exist.",
        "field": "slug",
    }


def test_a_play_answers_where_the_wheel_stops_and_a_retry_replays_it(api_client: Client) -> None:
    user = UserFactory()
    make_game(prizes=[points_prize(25)])
    auth = bearer(user)
    first = post(api_client, f"{BASE}/wheel/play", HTTP_IDEMPOTENCY_KEY="spin-1", **auth)
    assert first.status_code == 201
    body = first.json()
    assert (body["kind"], body["points"], body["position"], body["is_win"], body["chance"]) == (
        "points",
        25,
        0,
        True,
        "free",
    )
    again = post(api_client, f"{BASE}/wheel/play", HTTP_IDEMPOTENCY_KEY="spin-1", **auth)
    assert (again.status_code, again.json()["id"]) == (201, body["id"])
    assert GameSpin.objects.count() == 1
    assert points_selectors.points_balance(user.pk) == 25
    detail = api_client.get(f"{BASE}/wheel", **auth).json()
    assert detail["chances"] == {
        "free_left": 0,
        "extra": 0,
        "bought_today": 0,
        "buy_price": 0,
        "buy_left_today": 0,
        "total": 0,
        "may_buy": False,
    }


def test_refusals_name_their_field_and_write_nothing(api_client: Client) -> None:
    user = UserFactory()
    make_game(prizes=[nothing()])
    auth = bearer(user)
    assert post(api_client, f"{BASE}/wheel/play").status_code == 401
    assert post(api_client, f"{BASE}/wheel/play", **auth).status_code == 201
    refused = post(api_client, f"{BASE}/wheel/play", **auth)
    assert refused.status_code == 409
    assert refused.json()["error"] == {
        "code": "no_chances",
        "message": "No chances left today. Come back tomorrow or earn more.",
        "field": "chances",
    }
    unknown = post(api_client, f"{BASE}/nope/play", **auth)
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (404, "slug")
    bad_key = post(api_client, f"{BASE}/wheel/play", HTTP_IDEMPOTENCY_KEY="bad key!", **auth)
    assert bad_key.status_code == 400
    assert GameSpin.objects.count() == 1


def test_buying_a_chance_over_http(api_client: Client) -> None:
    user = UserFactory()
    make_game(chance_price=30, bought_chances_per_day=1, prizes=[nothing()])
    auth = bearer(user)
    short = post(api_client, f"{BASE}/wheel/chances", HTTP_IDEMPOTENCY_KEY="b1", **auth)
    assert short.status_code == 409
    assert (short.json()["error"]["code"], short.json()["error"]["field"]) == (
        "insufficient_points",
        "points",
    )
    points_services.points_earn(user_id=user.pk, amount=50, reason="test", idempotency_key="e")
    bought = post(api_client, f"{BASE}/wheel/chances", HTTP_IDEMPOTENCY_KEY="b2", **auth)
    assert bought.status_code == 201
    assert (bought.json()["count"], bought.json()["points_spent"]) == (1, 30)
    limit = post(api_client, f"{BASE}/wheel/chances", HTTP_IDEMPOTENCY_KEY="b3", **auth)
    assert (limit.status_code, limit.json()["error"]["code"]) == (409, "chance_buy_limit_reached")
    assert points_selectors.points_balance(user.pk) == 20
    assert api_client.get(f"{BASE}/wheel", **auth).json()["chances"]["total"] == 2


def test_my_results_are_mine_only(api_client: Client) -> None:
    user, other = UserFactory(), UserFactory()
    make_game(prizes=[points_prize(5)], free_chances_per_day=3)
    for index in range(3):
        post(api_client, f"{BASE}/wheel/play", HTTP_IDEMPOTENCY_KEY=f"k{index}", **bearer(user))
    post(api_client, f"{BASE}/wheel/play", **bearer(other))
    page = api_client.get(f"{BASE}/me/results?limit=2", **bearer(user)).json()
    assert [item["points"] for item in page["items"]] == [5, 5]
    rest = api_client.get(
        f"{BASE}/me/results?limit=2&cursor={page['next_cursor']}", **bearer(user)
    ).json()
    assert (len(rest["items"]), rest["next_cursor"]) == (1, None)
    assert api_client.get(f"{BASE}/me/results").status_code == 401
    tampered = api_client.get(f"{BASE}/me/results?cursor=abc", **bearer(user))
    assert (tampered.status_code, tampered.json()["error"]["field"]) == (400, "cursor")
