"""The recommendations API over HTTP: every surface as product cards with reasons, positions
and the list id; errors as JSON naming the field (400 limit/offset/interests, 401 signed out,
404 product_id); impressions logged once per list; clicks; and the PIPL art. 24 switch
honoured by every endpoint."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from circlemart.accounts.services import token_pair_issue
from circlemart.cart import services as cart_services
from circlemart.orders.models import Order
from circlemart.recommend import api as recommend_api
from circlemart.recommend.models import (
    Impression,
    PersonalisationPreference,
    RecommendationClick,
    UserInterest,
)
from circlemart.recommend.services import session as session_services
from tests.accounts.factories import UserFactory
from tests.recommend.api.conftest import World, befriend
from tests.recommend.serving.purchases import buy

pytestmark = pytest.mark.django_db
BASE = "/api/v1/recommend"
CARD_FIELDS = {
    "id",
    "title",
    "title_en",
    "price_min",
    "price_max",
    "original_price",
    "currency",
    "cover",
    "sales_count",
    "rating_average",
    "rating_count",
    "in_stock",
    "brand_name",
    "position",
    "reason",
}


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access_token}"}


def _ids(body: dict[str, Any]) -> list[int]:
    return [item["id"] for item in body["items"]]


def _error(response: Any) -> dict[str, Any]:
    return dict(response.json()["error"])


def _put(client: Client, path: str, body: object, **extra: Any) -> Any:
    return client.put(path, json.dumps(body), content_type="application/json", **extra)


def _post(client: Client, path: str, body: object, **extra: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def _cart_with(user: Any, *product_ids: int) -> None:
    from circlemart.catalog.models import Sku  # test set-up only

    cart_id = cart_services.cart_ensure(user_id=user.pk)
    for product_id in product_ids:
        sku = Sku.objects.filter(product_id=product_id).first()
        assert sku is not None
        cart_services.cart_add(cart_id=cart_id, sku_id=sku.pk, quantity=1)


# --- for you --------------------------------------------------------------------------------


def test_for_you_serves_the_shoppers_candidates_as_cards_with_reasons(
    api_client: Client, world: World
) -> None:
    response = api_client.get(f"{BASE}/for-you?limit=5", **bearer(world.known))

    assert response.status_code == 200
    body = response.json()
    assert (body["surface"], body["model_version"], body["is_personalised"]) == (
        "for_you",
        1,
        True,
    )
    assert uuid.UUID(hex=body["list_id"]).hex == body["list_id"]
    assert len(body["items"]) == 5
    assert set(body["items"][0]) == CARD_FIELDS
    assert set(_ids(body)) <= {world.pid(n) for n in range(1, 9)}
    assert [item["position"] for item in body["items"]] == [0, 1, 2, 3, 4]
    reasons = {(item["reason"]["kind"], item["reason"]["product_id"]) for item in body["items"]}
    assert reasons == {("viewed", world.pid(0))}
    assert body["items"][0]["reason"]["label"] == "Because you viewed Product 0"
    assert body["next_offset"] == 5
    logged = Impression.objects.filter(list_id=uuid.UUID(hex=body["list_id"]))
    assert sorted(logged.values_list("position", "object_id")) == [
        (item["position"], item["id"]) for item in body["items"]
    ]


def test_for_you_pages_by_offset_without_repeating(api_client: Client, world: World) -> None:
    first = api_client.get(f"{BASE}/for-you?limit=4", **bearer(world.known)).json()
    second = api_client.get(
        f"{BASE}/for-you?limit=4&offset={first['next_offset']}", **bearer(world.known)
    ).json()

    assert first["next_offset"] == 4
    assert len(second["items"]) == 4
    assert not set(_ids(first)) & set(_ids(second))


def test_for_you_needs_a_signed_in_caller(api_client: Client, world: World) -> None:
    response = api_client.get(f"{BASE}/for-you")

    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"
    assert Impression.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"), ("offset=-1", "offset")],
)
def test_for_you_refuses_out_of_range_paging(
    api_client: Client, world: World, query: str, field: str
) -> None:
    response = api_client.get(f"{BASE}/for-you?{query}", **bearer(world.known))

    assert response.status_code == 400
    assert (_error(response)["code"], _error(response)["field"]) == ("invalid", field)
    assert Impression.objects.count() == 0


# --- product surfaces ---------------------------------------------------------------------


def test_similar_is_open_to_visitors_and_leaves_the_product_out(
    api_client: Client, world: World
) -> None:
    response = api_client.get(f"{BASE}/products/{world.pid(0)}/similar?limit=6")

    assert response.status_code == 200
    body = response.json()
    assert (body["surface"], body["model_version"], body["is_personalised"]) == (
        "similar",
        1,
        False,
    )
    assert sorted(_ids(body)) == sorted(world.pid(n) for n in range(1, 7))
    assert {item["reason"]["kind"] for item in body["items"]} == {"similar"}
    assert Impression.objects.filter(list_id=uuid.UUID(hex=body["list_id"])).count() == 6


def test_bought_together(api_client: Client, world: World) -> None:
    response = api_client.get(f"{BASE}/products/{world.pid(0)}/bought-together")

    assert response.status_code == 200
    body = response.json()
    assert (body["surface"], _ids(body)) == ("bought_together", [world.pid(9), world.pid(10)])
    assert body["items"][0]["reason"]["kind"] == "bought"


@pytest.mark.parametrize("surface", ["similar", "bought-together"])
def test_an_unknown_product_is_404_naming_product_id(
    api_client: Client, world: World, surface: str
) -> None:
    response = api_client.get(f"{BASE}/products/999999/{surface}")

    assert response.status_code == 404
    assert _error(response) == {
        "code": "product_not_found",
        "message": "Product not found.",
        "field": "product_id",
    }


@pytest.mark.parametrize("surface", ["similar", "bought-together"])
def test_product_surfaces_refuse_a_limit_out_of_range(
    api_client: Client, world: World, surface: str
) -> None:
    response = api_client.get(f"{BASE}/products/{world.pid(0)}/{surface}?limit=101")

    assert response.status_code == 400
    assert _error(response)["field"] == "limit"


def test_cart_addons_go_with_the_cart_and_leave_its_products_out(
    api_client: Client, world: World
) -> None:
    _cart_with(world.known, world.pid(0), world.pid(1))

    response = api_client.get(f"{BASE}/cart-addons", **bearer(world.known))

    assert response.status_code == 200
    body = response.json()
    ids = _ids(body)
    assert body["surface"] == "cart_addons"
    # Their co-purchases first (in whatever order the blend gives), then their neighbours.
    assert set(ids[:3]) == {world.pid(9), world.pid(10), world.pid(11)}
    assert world.pid(0) not in ids
    assert world.pid(1) not in ids


def test_cart_addons_of_an_empty_cart_are_empty(api_client: Client, world: World) -> None:
    response = api_client.get(f"{BASE}/cart-addons", **bearer(world.stranger))

    assert (response.status_code, response.json()["items"]) == (200, [])


@pytest.mark.parametrize("path", ["cart-addons", "buy-again", "friends", "preferences"])
def test_personal_endpoints_need_a_signed_in_caller(
    api_client: Client, world: World, path: str
) -> None:
    response = api_client.get(f"{BASE}/{path}")

    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"


def test_buy_again_and_friends_without_history_are_empty_lists(
    api_client: Client, world: World
) -> None:
    again = api_client.get(f"{BASE}/buy-again", **bearer(world.known)).json()
    friends = api_client.get(f"{BASE}/friends", **bearer(world.known)).json()

    assert (again["surface"], again["items"]) == ("buy_again", [])
    assert (friends["surface"], friends["items"]) == ("friends", [])


def test_friends_lists_what_friends_bought(
    api_client: Client, world: World, pay: Callable[..., Order]
) -> None:
    friend, other_friend = UserFactory(), UserFactory()
    befriend(world.stranger, friend, other_friend)
    buy(pay, friend, world.shop.products[3])
    buy(pay, other_friend, world.shop.products[3])
    buy(pay, other_friend, world.shop.products[5])

    body = api_client.get(f"{BASE}/friends", **bearer(world.stranger)).json()
    on_product = api_client.get(
        f"{BASE}/friends?product_id={world.pid(5)}", **bearer(world.stranger)
    ).json()

    assert (body["surface"], body["is_personalised"]) == ("friends", True)
    assert _ids(body) == [world.pid(3), world.pid(5)]
    assert [item["reason"]["label"] for item in body["items"]] == [
        "2 of your friends bought this",
        "Your friends bought this",
    ]
    assert _ids(on_product) == [world.pid(5)]


def test_friends_of_an_unknown_product_is_404(api_client: Client, world: World) -> None:
    response = api_client.get(f"{BASE}/friends?product_id=999999", **bearer(world.known))

    assert (response.status_code, _error(response)["field"]) == (404, "product_id")


# --- preferences ------------------------------------------------------------------------------


def test_preferences_default_to_personalised_without_interests(
    api_client: Client, world: World
) -> None:
    response = api_client.get(f"{BASE}/preferences", **bearer(world.known))

    assert (response.status_code, response.json()) == (
        200,
        {"is_personalised": True, "interests": []},
    )


def test_preferences_put_saves_the_switch_and_the_interests(
    api_client: Client, world: World
) -> None:
    first, second = world.shop.categories[0].pk, world.shop.categories[2].pk

    response = _put(
        api_client,
        f"{BASE}/preferences",
        {"is_personalised": False, "interests": [second, first]},
        **bearer(world.known),
    )

    assert response.status_code == 200
    assert response.json() == {"is_personalised": False, "interests": [second, first]}
    assert PersonalisationPreference.objects.get(user=world.known).is_personalised is False
    # Left out: unchanged.
    again = _put(
        api_client, f"{BASE}/preferences", {"is_personalised": True}, **bearer(world.known)
    )
    assert again.json() == {"is_personalised": True, "interests": [second, first]}


def test_preferences_refuse_an_unknown_category_and_change_nothing(
    api_client: Client, world: World
) -> None:
    response = _put(
        api_client,
        f"{BASE}/preferences",
        {"is_personalised": False, "interests": [world.shop.categories[0].pk, 999999]},
        **bearer(world.known),
    )

    assert response.status_code == 400
    assert _error(response)["field"] == "interests"
    assert UserInterest.objects.count() == 0
    assert PersonalisationPreference.objects.count() == 0


def test_preferences_refuse_a_body_of_the_wrong_type(api_client: Client, world: World) -> None:
    response = _put(
        api_client, f"{BASE}/preferences", {"is_personalised": "maybe"}, **bearer(world.known)
    )

    assert (response.status_code, _error(response)["field"]) == (400, "is_personalised")


# --- clicks -----------------------------------------------------------------------------------


def test_a_click_on_a_served_item_is_recorded_once(api_client: Client, world: World) -> None:
    served = api_client.get(f"{BASE}/for-you?limit=5", **bearer(world.known)).json()
    item = served["items"][2]
    click = {"list_id": served["list_id"], "position": 2, "object_id": item["id"]}

    first = _post(api_client, f"{BASE}/clicks", click, **bearer(world.known))
    again = _post(api_client, f"{BASE}/clicks", click, **bearer(world.known))

    assert (first.status_code, again.status_code) == (204, 204)
    recorded = RecommendationClick.objects.get()
    assert (recorded.surface, recorded.position, recorded.object_id, recorded.user_id) == (
        "for_you",
        2,
        item["id"],
        world.known.pk,
    )
    assert recorded.model_version_id == 1


def test_clicks_that_match_no_served_item_are_ignored(api_client: Client, world: World) -> None:
    served = api_client.get(f"{BASE}/for-you?limit=3", **bearer(world.known)).json()
    wrong_product = {"list_id": served["list_id"], "position": 0, "object_id": world.pid(15)}
    unknown_list = {
        "list_id": uuid.uuid4().hex,
        "position": 0,
        "object_id": served["items"][0]["id"],
    }
    someone_else = {
        "list_id": served["list_id"],
        "position": 0,
        "object_id": served["items"][0]["id"],
    }

    answers = [
        _post(api_client, f"{BASE}/clicks", wrong_product, **bearer(world.known)).status_code,
        _post(api_client, f"{BASE}/clicks", unknown_list, **bearer(world.known)).status_code,
        _post(api_client, f"{BASE}/clicks", someone_else, **bearer(world.stranger)).status_code,
    ]

    assert answers == [204, 204, 204]
    assert RecommendationClick.objects.count() == 0


def test_a_malformed_click_is_400_naming_the_field(api_client: Client, world: World) -> None:
    response = _post(
        api_client, f"{BASE}/clicks", {"list_id": "x" * 32, "position": -1, "object_id": 1}
    )

    assert (response.status_code, _error(response)["field"]) == (400, "position")


# --- PIPL art. 24: the switch is honoured by every endpoint --------------------------------


def _opted_out_with_history(world: World) -> None:
    """The known shopper, with a session trail and interests, turns personalisation off."""
    session_services.session_record(
        session_key=f"user:{world.known.pk}",
        viewer_id=world.known.pk,
        product_id=world.pid(12),
        kind="view",
    )
    UserInterest.objects.create(user=world.known, category_id=world.shop.categories[3].pk)
    PersonalisationPreference.objects.create(user=world.known, is_personalised=False)


def test_opted_out_for_you_is_what_a_stranger_gets(api_client: Client, world: World) -> None:
    _opted_out_with_history(world)

    mine = api_client.get(f"{BASE}/for-you?limit=10", **bearer(world.known)).json()
    strangers = api_client.get(f"{BASE}/for-you?limit=10", **bearer(world.stranger)).json()

    assert (mine["is_personalised"], mine["model_version"]) == (False, None)
    assert _ids(mine) == _ids(strangers)
    assert {item["reason"]["kind"] for item in mine["items"]} <= {"popular", "trending", "new"}
    assert Impression.objects.filter(user_id=world.known.pk, is_personalised=True).count() == 0


@pytest.mark.parametrize("surface", ["similar", "bought-together"])
def test_opted_out_product_surfaces_are_what_a_visitor_gets(
    api_client: Client, world: World, surface: str
) -> None:
    _opted_out_with_history(world)

    mine = api_client.get(f"{BASE}/products/{world.pid(0)}/{surface}", **bearer(world.known))
    visitors = api_client.get(f"{BASE}/products/{world.pid(0)}/{surface}")

    assert mine.json()["is_personalised"] is False
    assert _ids(mine.json()) == _ids(visitors.json())


def test_opted_out_cart_addons_are_what_a_stranger_with_that_cart_gets(
    api_client: Client, world: World
) -> None:
    _opted_out_with_history(world)
    _cart_with(world.known, world.pid(0))
    _cart_with(world.stranger, world.pid(0))

    mine = api_client.get(f"{BASE}/cart-addons", **bearer(world.known)).json()
    strangers = api_client.get(f"{BASE}/cart-addons", **bearer(world.stranger)).json()

    assert mine["is_personalised"] is False
    assert _ids(mine) == _ids(strangers) != []


@pytest.mark.parametrize("path", ["buy-again", "friends"])
def test_opted_out_personal_lists_are_empty(api_client: Client, world: World, path: str) -> None:
    _opted_out_with_history(world)

    body = api_client.get(f"{BASE}/{path}", **bearer(world.known)).json()

    assert (body["is_personalised"], body["items"]) == (False, [])


def test_turning_personalisation_off_through_the_api_takes_effect_at_once(
    api_client: Client, world: World
) -> None:
    before = api_client.get(f"{BASE}/for-you?limit=5", **bearer(world.known)).json()
    _put(api_client, f"{BASE}/preferences", {"is_personalised": False}, **bearer(world.known))
    after = api_client.get(f"{BASE}/for-you?limit=5", **bearer(world.known)).json()

    assert (before["is_personalised"], after["is_personalised"]) == (True, False)
    assert after["model_version"] is None


def test_the_surfaces_are_rate_limited_per_caller(
    api_client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recommend_api, "RATE_PER_MINUTE", 2)
    path = f"{BASE}/products/{world.pid(0)}/similar"

    answers = [api_client.get(path).status_code for _ in range(3)]
    other_caller = api_client.get(path, **bearer(world.known))

    assert answers == [200, 200, 429]
    assert other_caller.status_code == 200
