"""The recommendation fragments under /rec/: the home "for you" grid (paging, onboarding
interests, the not-personalised title), a product's sections, the product page's "seen" beacon
(session re-ranking and the click), cart add-ons, buy again, and the personalisation switch.
Each served list is logged once; with personalisation off the fragments show what a visitor
sees."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from circlemart.cart import services as cart_services
from circlemart.orders.models import Order
from circlemart.recommend.models import (
    Impression,
    PersonalisationPreference,
    RecommendationClick,
    UserInterest,
)
from circlemart.recommend.selectors.surfaces import anonymous_id_for
from tests.accounts.factories import UserFactory
from tests.recommend.api.conftest import World, befriend
from tests.recommend.serving.purchases import buy

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
PAGE_DATA = re.compile(r'data-rec-data="([^"]*)"')


def _pages(html: str) -> list[dict[str, Any]]:
    """The page data rec.js reads: {"list": id, "items": [[product, position, reason], ...]}."""
    unescaped = [
        raw.replace("&quot;", '"').replace("&amp;", "&") for raw in PAGE_DATA.findall(html)
    ]
    return [json.loads(raw) for raw in unescaped]


def _card_ids(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'data-track-product="(\d+)"', html)]


def _for_you(client: Client, page: int = 0) -> str:
    response = client.get(f"/rec/for-you/?page={page}")
    assert response.status_code == 200
    return response.content.decode()


# --- the pages that load the fragments -----------------------------------------------------


def test_home_and_product_pages_load_the_fragments(client: Client, world: World) -> None:
    home = client.get("/").content.decode()
    product = client.get(f"/p/{world.pid(0)}/").content.decode()

    assert 'hx-get="/rec/for-you/" hx-trigger="intersect once"' in home
    assert f'hx-get="/rec/products/{world.pid(0)}/" hx-trigger="intersect once"' in product
    assert f'hx-post="/rec/products/{world.pid(0)}/seen/" hx-trigger="load"' in product
    assert "Recommendations are on their way." not in product


# --- for you ----------------------------------------------------------------------------------


def test_for_you_shows_the_shoppers_cards_with_reasons_and_logs_the_list_once(
    client: Client, world: World
) -> None:
    client.force_login(world.known)

    html = _for_you(client)

    (page,) = _pages(html)
    shown = _card_ids(html)
    assert shown == [product for product, _position, _reason in page["items"]]
    assert set(shown) == {world.pid(n) for n in range(1, 9)} | set(shown[8:])
    assert [position for _product, position, _reason in page["items"]] == list(range(len(shown)))
    assert page["items"][0][2] == "Because you viewed Product 0"
    assert 'data-testid="for-you-title"' in html
    assert 'data-personalised="true"' in html
    assert 'data-testid="interests-form"' not in html
    logged = Impression.objects.filter(surface="for_you")
    assert {row.list_id.hex for row in logged} == {page["list"]}
    assert sorted(logged.values_list("position", "object_id")) == [
        (position, product) for product, position, _reason in page["items"]
    ]


def test_for_you_pages_continue_until_the_last(client: Client, world: World) -> None:
    first = _for_you(client, page=0)
    beyond = client.get("/rec/for-you/?page=10")

    # 16 products in the shop: one short page, so no "more" row.
    assert len(_card_ids(first)) == 16
    assert 'data-testid="for-you-more"' not in first
    assert (beyond.status_code, beyond.content) == (200, b"")


def test_for_you_asks_a_new_shopper_for_interests_and_uses_them(
    client: Client, world: World
) -> None:
    client.force_login(world.stranger)
    chosen = world.shop.categories[2]

    asked = _for_you(client)
    answered = client.post("/rec/interests/", {"category": [str(chosen.pk)]}, **HTMX)

    assert 'data-testid="interests-form"' in asked
    assert f'value="{chosen.pk}"' in asked
    assert answered.status_code == 200
    html = answered.content.decode()
    assert 'data-testid="interests-form"' not in html
    assert list(UserInterest.objects.values_list("user_id", "category_id")) == [
        (world.stranger.pk, chosen.pk)
    ]
    (page,) = _pages(html)
    in_category = {p.pk for p in world.shop.products if p.category_id == chosen.pk}
    assert {product for product, _p, _r in page["items"][:2]} <= in_category
    assert 'data-personalised="true"' in html


@pytest.mark.parametrize(
    ("picked", "message"), [(["999999"], "Unknown category."), ([], "Pick at least one category.")]
)
def test_interests_refuse_an_unknown_category_or_none(
    client: Client, world: World, picked: list[str], message: str
) -> None:
    client.force_login(world.stranger)

    response = client.post(
        "/rec/interests/", {"category": picked}, HTTP_ACCEPT_LANGUAGE="en", **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="interests-error"' in html
    assert message in html
    assert 'data-testid="interests-form"' in html
    assert UserInterest.objects.count() == 0


# --- product page -------------------------------------------------------------------------


def test_product_sections_show_similar_and_bought_together(client: Client, world: World) -> None:
    response = client.get(f"/rec/products/{world.pid(0)}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="rec-similar"' in html
    assert 'data-testid="rec-bought-together"' in html
    assert 'data-testid="rec-friends"' not in html
    similar, together = _pages(html)
    assert sorted(p for p, _pos, _r in similar["items"]) == sorted(
        world.pid(n) for n in range(1, 7)
    )
    assert [p for p, _pos, _r in together["items"]] == [world.pid(9), world.pid(10)]
    # On the product's own page the headings say why; no "similar to this" under each card.
    assert {r for _p, _pos, r in similar["items"] + together["items"]} == {""}
    assert Impression.objects.filter(surface="similar").count() == 6
    assert Impression.objects.filter(surface="bought_together").count() == 2


def test_friends_picks_show_on_the_product_page_when_there_are_any(
    client: Client, world: World, pay: Callable[..., Order]
) -> None:
    friend = UserFactory()
    befriend(world.stranger, friend)
    buy(pay, friend, world.shop.products[2])  # a neighbour of product 0
    client.force_login(world.stranger)

    html = client.get(f"/rec/products/{world.pid(0)}/").content.decode()
    others = client.get(f"/rec/products/{world.pid(12)}/").content.decode()

    assert 'data-testid="rec-friends"' in html
    friends = _pages(html)[-1]
    assert friends["items"] == [[world.pid(2), 0, "Your friends bought this"]]
    assert 'data-testid="rec-friends"' not in others


def test_a_product_without_neighbours_says_so(client: Client, world: World) -> None:
    response = client.get(f"/rec/products/{world.pid(8)}/")

    html = response.content.decode()
    assert 'data-testid="rec-similar"' in html
    assert 'data-testid="rec-bought-together"' not in html


def test_the_seen_beacon_reranks_the_next_list_and_records_the_click(
    client: Client, world: World
) -> None:
    before = _pages(_for_you(client))[0]
    product, position, _reason = before["items"][3]

    response = client.post(
        f"/rec/products/{product}/seen/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/p/{product}/?rl={before['list']}&rp={position}",
    )

    assert response.status_code == 204
    click = RecommendationClick.objects.get()
    assert (click.list_id.hex, click.position, click.object_id, click.user_id) == (
        before["list"],
        position,
        product,
        None,
    )
    assert click.anonymous_id == anonymous_id_for(client.session.session_key)
    # The next list starts from what was just viewed (world: product 12's neighbours).
    client.post(f"/rec/products/{world.pid(12)}/seen/")
    after = _pages(_for_you(client))[0]
    top = [p for p, _pos, _r in after["items"][:3]]
    assert set(top) == {world.pid(13), world.pid(14), world.pid(15)}
    assert {r for _p, _pos, r in after["items"][:3]} == {"Because you viewed Product 12"}


def test_the_seen_beacon_ignores_a_forged_click(client: Client, world: World) -> None:
    response = client.post(
        f"/rec/products/{world.pid(1)}/seen/",
        HTTP_HX_CURRENT_URL=f"http://testserver/p/{world.pid(1)}/?rl={uuid.uuid4().hex}&rp=0",
    )

    assert response.status_code == 204
    assert RecommendationClick.objects.count() == 0


# --- cart, buy again ------------------------------------------------------------------------


def test_cart_addons_follow_the_cart(client: Client, world: World) -> None:
    from circlemart.catalog.models import Sku  # test set-up only

    client.force_login(world.stranger)
    empty = client.get("/rec/cart-addons/")
    cart_id = cart_services.cart_ensure(user_id=world.stranger.pk)
    sku = Sku.objects.filter(product_id=world.pid(0)).get()
    cart_services.cart_add(cart_id=cart_id, sku_id=sku.pk, quantity=1)

    filled = client.get("/rec/cart-addons/").content.decode()

    assert empty.content == b""
    assert 'data-testid="rec-cart-addons"' in filled
    assert set(_card_ids(filled)[:2]) == {world.pid(9), world.pid(10)}
    assert world.pid(0) not in _card_ids(filled)
    (page,) = _pages(filled)
    assert page["items"][0][2] == "Bought together often"


def test_buy_again_is_for_signed_in_shoppers(client: Client, world: World) -> None:
    strip = client.get("/rec/buy-again/strip/")
    page = client.get("/rec/buy-again/")
    client.force_login(world.known)
    own_page = client.get("/rec/buy-again/")

    assert (strip.status_code, strip.content) == (200, b"")
    assert page.status_code == 302
    assert own_page.status_code == 200
    assert 'data-testid="buy-again-grid"' in own_page.content.decode()


# --- PIPL art. 24 ---------------------------------------------------------------------------


def test_the_settings_switch_turns_personalisation_off_and_on(client: Client, world: World) -> None:
    client.force_login(world.known)
    shown = client.get("/rec/settings/personalisation/").content.decode()

    turned_off = client.post("/rec/settings/personalisation/", {}, **HTMX).content.decode()
    home_grid = _for_you(client)

    assert 'name="is_personalised" checked' in shown
    assert 'data-testid="personalisation-saved"' in turned_off
    assert 'name="is_personalised" checked' not in turned_off
    assert PersonalisationPreference.objects.get(user=world.known).is_personalised is False
    assert 'data-testid="for-you-not-personalised"' in home_grid
    assert 'data-personalised="false"' in home_grid
    # Without htmx (no script), the form posts and comes back to the settings page.
    plain = client.post("/rec/settings/personalisation/", {"is_personalised": "on"})
    assert (plain.status_code, plain["Location"]) == (
        302,
        "/accounts/profile/edit/#personalisation",
    )
    assert PersonalisationPreference.objects.get(user=world.known).is_personalised is True
    assert 'data-testid="for-you-not-personalised"' not in _for_you(client)


def test_opted_out_fragments_show_what_a_visitor_sees(client: Client, world: World) -> None:
    visitor = Client()
    visitor_grid = _card_ids(_for_you(visitor))
    visitor_product = _card_ids(visitor.get(f"/rec/products/{world.pid(0)}/").content.decode())
    PersonalisationPreference.objects.create(user=world.known, is_personalised=False)
    UserInterest.objects.create(user=world.known, category_id=world.shop.categories[1].pk)
    client.force_login(world.known)
    client.post(f"/rec/products/{world.pid(12)}/seen/")

    grid = _for_you(client)
    product = client.get(f"/rec/products/{world.pid(0)}/").content.decode()

    assert _card_ids(grid) == visitor_grid
    assert _card_ids(product) == visitor_product
    assert 'data-testid="interests-form"' not in grid
    assert Impression.objects.filter(user_id=world.known.pk, is_personalised=True).count() == 0


def test_settings_need_a_signed_in_user(client: Client, world: World) -> None:
    response = client.post("/rec/settings/personalisation/", {})

    assert response.status_code == 302
    assert PersonalisationPreference.objects.count() == 0
