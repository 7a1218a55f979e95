"""Bargain pages: the deals, a deal's page with its start button, and the share page —
progress, helpers, countdown, "help cut" for friends (htmx swaps the panel in place),
"buy now" for the starter (straight to the payment page); visitors are sent to sign in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from circlemart.orders.models import Order
from circlemart.promotions.bargain import services as bargain_services
from circlemart.promotions.bargain.models import Bargain, BargainHelp
from tests.accounts.factories import UserFactory
from tests.html_page import visible_text
from tests.promotions.bargain.test_services import bargain_deal
from tests.promotions.conftest import make_buyer

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"


def signed_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def started(deal_id: int, user: Any) -> int:
    return bargain_services.bargain_start(deal_id=deal_id, starter_id=user.pk).bargain_id


def test_the_deals_and_a_deals_page_with_its_start_button() -> None:
    deal = bargain_deal(price=9900, floor_price=990)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    listing = client.get("/promotions/bargains/")
    assert listing.status_code == 200
    assert listing.content.decode().count('data-testid="bargain-deal"') == 1
    assert f"/promotions/bargains/{deal.pk}/" in listing.content.decode()
    page = client.get(f"/promotions/bargains/{deal.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "CN¥9.90" in visible_text(page)
    assert f"/promotions/bargains/{deal.pk}/start/" in html
    assert 'data-testid="bargain-start"' in html
    assert "data-countdown-to=" in html
    assert "promotions/flash.js" in html
    assert "<script>" not in html  # CSP: no inline script
    assert client.get("/promotions/bargains/999999/").status_code == 404
    assert Client().get(f"/promotions/bargains/{deal.pk}/").status_code == 200  # zh-hans


def test_starting_from_the_deal_page_goes_to_the_share_page() -> None:
    deal = bargain_deal()
    user = UserFactory()
    client = signed_in(user)
    answer = client.post(f"/promotions/bargains/{deal.pk}/start/", follow=True)
    bargain = Bargain.objects.get()
    assert answer.redirect_chain == [(f"/promotions/bargains/b/{bargain.pk}/", 302)]
    text = visible_text(answer)
    assert "Bargain started! Share this page: each friend cuts once." in text
    assert "My bargain" in text
    html = answer.content.decode()
    assert f"http://testserver/promotions/bargains/b/{bargain.pk}/" in html  # the share link
    assert 'data-testid="bargain-buy"' in html
    assert "Buy now at CN¥99.00" in text
    again = client.post(f"/promotions/bargains/{deal.pk}/start/", follow=True)
    assert again.redirect_chain == [(f"/promotions/bargains/b/{bargain.pk}/", 302)]
    assert (
        "You already have a bargain going on this deal: share it with your friends."
        in visible_text(again)
    )
    assert Bargain.objects.count() == 1
    page = client.get(f"/promotions/bargains/{deal.pk}/")
    assert 'data-testid="bargain-continue"' in page.content.decode()


def test_visitors_are_sent_to_sign_in_to_start_or_help() -> None:
    deal = bargain_deal()
    bargain_id = started(deal.pk, UserFactory())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    answer = client.post(f"/promotions/bargains/{deal.pk}/start/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")
    page = client.get(f"/promotions/bargains/b/{bargain_id}/")
    assert page.status_code == 200
    assert 'data-testid="bargain-help"' in page.content.decode()
    answer = client.post(f"/promotions/bargains/b/{bargain_id}/help/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 204
    assert answer["HX-Redirect"] == (f"/accounts/login/?next=/promotions/bargains/b/{bargain_id}/")
    assert (Bargain.objects.count(), BargainHelp.objects.count()) == (1, 0)


def test_a_friend_helps_in_place_once() -> None:
    bargain_id = started(bargain_deal().pk, UserFactory(nickname=XSS))
    friend = UserFactory(nickname="阿明")
    client = signed_in(friend)
    page = client.get(f"/promotions/bargains/b/{bargain_id}/")
    assert XSS not in page.content.decode()
    assert "Help <script>alert(1)</script> cut the price" in visible_text(page)
    answer = client.post(f"/promotions/bargains/b/{bargain_id}/help/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    help_row = BargainHelp.objects.get()
    text = visible_text(answer)
    assert f"You cut CN¥{help_row.cut / 100:.2f} off. Thank you!" in text
    assert "阿明" in text
    assert 'data-testid="bargain-helped"' in answer.content.decode()
    assert 'data-testid="bargain-help"' not in answer.content.decode()
    again = client.post(f"/promotions/bargains/b/{bargain_id}/help/", HTTP_HX_REQUEST="true")
    assert again.status_code == 409
    assert "You have already helped with this bargain: each friend can cut once." in visible_text(
        again
    )
    assert BargainHelp.objects.count() == 1


def test_the_starter_gets_a_clear_message_when_helping_themselves() -> None:
    starter = UserFactory()
    bargain_id = started(bargain_deal().pk, starter)
    client = signed_in(starter)
    answer = client.post(f"/promotions/bargains/b/{bargain_id}/help/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 403
    assert "You cannot cut your own bargain: ask your friends to help." in visible_text(answer)
    plain = client.post(f"/promotions/bargains/b/{bargain_id}/help/", follow=True)
    assert "You cannot cut your own bargain: ask your friends to help." in visible_text(plain)
    assert BargainHelp.objects.count() == 0


def test_the_buy_button_goes_to_the_gateway_once() -> None:
    user, _address = make_buyer()
    bargain_id = started(bargain_deal(helpers_needed=1).pk, user)
    signed_in(UserFactory()).post(f"/promotions/bargains/b/{bargain_id}/help/")
    client = signed_in(user)
    page = client.get(f"/promotions/bargains/b/{bargain_id}/")
    assert "Buy now at CN¥9.90" in visible_text(page)
    assert "Floor price reached!" in visible_text(page)
    url = f"/promotions/bargains/b/{bargain_id}/buy/"
    answer = client.post(url, {"token": "page-token"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 204
    assert "/payments/test-gateway/pay/" in answer["HX-Redirect"]
    again = client.post(url, {"token": "page-token"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 204
    assert Order.objects.count() == 1
    third = client.post(url, {"token": "other"}, HTTP_HX_REQUEST="true")
    assert third.status_code == 409
    assert "This bargain has already been bought." in visible_text(third)
    assert Order.objects.count() == 1
    order = Order.objects.get()
    page = client.get(f"/promotions/bargains/b/{bargain_id}/")
    assert f"/orders/{order.number}/" in page.content.decode()
    assert 'data-testid="bargain-buy"' not in page.content.decode()


def test_someone_else_cannot_buy_and_an_unknown_bargain_is_404() -> None:
    bargain_id = started(bargain_deal().pk, UserFactory())
    other, _address = make_buyer()
    client = signed_in(other)
    assert client.post(f"/promotions/bargains/b/{bargain_id}/buy/").status_code == 404
    assert client.get("/promotions/bargains/b/999999/").status_code == 404
    assert client.post("/promotions/bargains/b/999999/help/").status_code == 404
    assert Order.objects.count() == 0
