"""The product page's way into its live deals: the on-product block fills the deal strip under
the price (group, bargain, claimable coupons) and the buy bar's "Join group" button, out of
band, and names the variant each deal price is for."""

from __future__ import annotations

import pytest
from django.test import Client

from circlemart.catalog.models import Sku
from tests.promotions.bargain.test_services import bargain_deal
from tests.promotions.conftest import template
from tests.promotions.group.test_services import group_deal

pytestmark = pytest.mark.django_db


def _block(product_id: int) -> str:
    answer = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/promotions/on-product/{product_id}/")
    assert answer.status_code == 200
    return answer.content.decode()


def test_a_group_deal_fills_the_strip_and_the_join_button_naming_its_variant() -> None:
    deal = group_deal(size=3, group_price=5900)
    options = Sku.objects.get(pk=deal.sku_id).options
    text = _block(deal.sku.product_id)
    assert (
        '<div id="deal-strip" class="deal-strip" data-testid="deal-strip" hx-swap-oob="true">'
        in text
    )
    assert 'data-testid="deal-group"' in text
    assert f'href="/promotions/groups/deals/{deal.pk}/" data-testid="join-group"' in text
    assert 'id="buy-bar-group" class="buy-bar-group" hx-swap-oob="true"' in text
    name, value = next(iter(options.items()))
    assert f'Price for <span translate="no">{name}: {value}</span>' in text
    deal_page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/promotions/groups/deals/{deal.pk}/")
    assert f"{name}: {value}" in deal_page.content.decode()


def test_bargains_and_claimable_coupons_are_linked_and_nothing_shows_without_deals() -> None:
    deal = bargain_deal()
    product_id = deal.sku.product_id
    assert 'data-testid="deal-coupons"' not in _block(product_id)
    template()
    text = _block(product_id)
    assert f'href="/promotions/bargains/{deal.pk}/" data-testid="deal-bargain"' in text
    assert 'href="/promotions/coupons/" data-testid="deal-coupons">1 coupon to claim<' in text
    assert 'data-testid="join-group"' not in text
