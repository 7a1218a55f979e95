from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from circlemart.catalog.models import Product
from circlemart.recommend.training.sources import training_data_load
from tests.catalog import factories as catalog_factories
from tests.recommend.training.conftest import Shop

pytestmark = pytest.mark.django_db


def _rows(shop: Shop) -> set[tuple[int, int, float, bool, bool]]:
    """(user, product, weight, is_purchase, has a basket) per interaction."""
    data = training_data_load(now=shop.now).interactions
    return {
        (
            int(data.users[u]),
            int(data.items[i]),
            float(w),
            bool(p),
            bool(b >= 0),
        )
        for u, i, w, p, b in zip(
            data.user_index,
            data.item_index,
            data.weight,
            data.is_purchase,
            data.basket,
            strict=True,
        )
    }


def test_each_source_gives_its_events_with_their_weights(shop: Shop) -> None:
    first, second, third = (buyer.pk for buyer in shop.buyers)
    p = shop.product_id

    assert _rows(shop) == {
        (first, p(0), 5.0, True, True),  # paid, one basket with product 1
        (first, p(1), 5.0, True, True),
        (second, p(3), 5.0, True, True),
        (second, p(2), 1.0, False, False),  # viewed
        (second, p(4), 1.0, False, False),  # clicked
        (third, p(2), 3.0, False, False),  # added to the cart
        (third, p(4), 1.0, False, False),  # looked at its page for 30 s
        (third, p(3), 2.0, False, False),  # liked a note tagging products 3 and 4
        (third, p(4), 2.0, False, False),
        (first, p(3), 3.0, False, False),  # favourited that note
        (first, p(4), 3.0, False, False),
    }


def test_a_basket_is_the_order(shop: Shop) -> None:
    data = training_data_load(now=shop.now).interactions
    baskets = set(data.basket[data.is_purchase].tolist())

    assert shop.order.pk in baskets
    assert len(baskets) == 2  # two orders of personalised shoppers


def test_an_opted_out_shopper_is_left_out_entirely(shop: Shop) -> None:
    data = training_data_load(now=shop.now)

    assert shop.opted_out.pk not in data.interactions.users.tolist()
    assert data.counts == {
        "purchases": 3,
        "browsing": 5,  # read, before the unknown product was dropped
        "notes": 4,
        "shares": 0,
        "unknown_products": 1,
    }


def test_every_product_on_sale_is_an_item_with_its_text(shop: Shop) -> None:
    hidden = catalog_factories.product(title="下架商品", status=Product.Status.DRAFT)

    data = training_data_load(now=shop.now)

    items = data.interactions.items.tolist()
    assert items == sorted(product.pk for product in shop.products)  # all on sale
    assert hidden.pk not in items
    text = data.item_texts[shop.product_id(0)]
    assert "绿茶" in text
    assert "Green tea" in text
    assert "茶" in text.split()


def test_events_after_the_training_time_and_before_the_history_are_left_out(shop: Shop) -> None:
    earlier = training_data_load(now=shop.now - timedelta(days=2, hours=12))

    users = earlier.interactions.users
    data = earlier.interactions
    kept = {(int(users[u]), float(w)) for u, w in zip(data.user_index, data.weight, strict=True)}
    assert kept == {(shop.buyers[1].pk, 1.0)}  # only the view three days ago
    short = training_data_load(now=shop.now, history_days=2)
    # Yesterday's cart add, long look and view of an unknown product; not the click 2 days ago.
    assert short.counts["browsing"] == 3
    assert np.all(short.interactions.timestamp >= int((shop.now - timedelta(days=2)).timestamp()))
