"""The cart page's quantity stepper: zero, negative and non-numeric quantities are refused with
a 400 that names the field, and the message shows next to the line; nothing changes."""

from __future__ import annotations

import pytest
from django.test import Client

from circlemart.cart.models import CartItem
from tests.orders.conftest import make_sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _line_error(html: str) -> str:
    marker = 'data-testid="line-error" data-field="quantity">'
    assert html.count(marker) == 1, html
    return html.split(marker, 1)[1].split("<", 1)[0]


@pytest.mark.parametrize("typed", ["-3", "0", "abc", "", "1.5"])
def test_a_bad_quantity_is_refused_next_to_its_line(browser: Client, typed: str) -> None:
    sku = make_sku(stock=10)
    browser.post("/cart/add/", {"sku_id": sku, "quantity": 2})
    answer = browser.post(f"/cart/items/{sku}/", {"quantity": typed}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 400
    html = answer.content.decode()
    assert _line_error(html) == "Enter a quantity of 1 or more."
    assert 'aria-invalid="true"' in html
    assert 'data-testid="cart-error"' not in html
    assert list(CartItem.objects.values_list("sku_id", "quantity")) == [(sku, 2)]


def test_too_many_is_refused_next_to_the_line_and_a_good_quantity_is_taken(
    browser: Client,
) -> None:
    sku = make_sku(stock=3)
    browser.post("/cart/add/", {"sku_id": sku, "quantity": 1})
    too_many = browser.post(f"/cart/items/{sku}/", {"quantity": "5"}, HTTP_HX_REQUEST="true")
    assert too_many.status_code == 409
    assert _line_error(too_many.content.decode()) == "Only 3 left in stock."
    fine = browser.post(f"/cart/items/{sku}/", {"quantity": "3"}, HTTP_HX_REQUEST="true")
    assert fine.status_code == 200
    assert 'data-testid="line-error"' not in fine.content.decode()
    assert CartItem.objects.get().quantity == 3


def test_the_stepper_lets_the_server_judge_the_quantity(browser: Client) -> None:
    sku = make_sku(stock=3)
    browser.post("/cart/add/", {"sku_id": sku, "quantity": 1})
    page = browser.get("/cart/").content.decode()
    # novalidate: the browser would otherwise drop a negative quantity without a word.
    assert 'class="inline stepper" novalidate>' in page


def test_a_line_that_is_gone_is_reported_at_the_top(browser: Client) -> None:
    sku = make_sku(stock=3)
    browser.post("/cart/add/", {"sku_id": make_sku(stock=3), "quantity": 1})
    answer = browser.post(f"/cart/items/{sku}/", {"quantity": "2"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 404
    html = answer.content.decode()
    assert 'data-testid="cart-error">This item is not in your cart.<' in html
    assert 'data-testid="line-error"' not in html
