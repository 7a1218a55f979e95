"""Category listing and search pages: filters, htmx swaps, infinite scroll, suggestions."""

from __future__ import annotations

import re

import pytest

from circlemart.core.events import relay_pending
from tests.catalog import factories

pytestmark = pytest.mark.django_db
CARD = re.compile(r'data-testid="product-card"')


def without_tags(response) -> str:
    return re.sub(r"<[^>]+>", "", response.content.decode())


@pytest.fixture
def shop():
    digital = factories.category("数码", name_en="Digital")
    audio = factories.category("耳机", parent=digital, name_en="Earphones")
    sony = factories.brand("索尼", "Sony")
    products = [
        factories.product(
            title=f"蓝牙耳机 {number}",
            title_en=f"Bluetooth Earphones {number}",
            in_category=audio,
            with_brand=sony if number % 2 else None,
            prices=(1000 * (number + 1),),
            stock=(0 if number == 3 else 5,),
        )
        for number in range(25)
    ]
    relay_pending()
    return {"digital": digital, "audio": audio, "sony": sony, "products": products}


def test_category_page_lists_the_subtree_with_facets(client, shop):
    html = client.get(f"/c/{shop['digital'].slug}/").content.decode()
    assert len(CARD.findall(html)) == 20
    assert 'data-testid="subcategories"' in html
    assert "耳机 <small>25</small>" in html
    assert f'data-testid="brand-{shop["sony"].slug}"' in html
    assert 'hx-trigger="revealed"' in html  # the infinite-scroll sentinel


def test_infinite_scroll_returns_the_next_tiles_only(client, shop):
    first = client.get(f"/c/{shop['digital'].slug}/").content.decode()
    more_url = re.search(r'hx-get="([^"]+cursor=[^"]+)"', first).group(1).replace("&amp;", "&")
    more = client.get(more_url, HTTP_HX_REQUEST="true").content.decode()
    assert len(CARD.findall(more)) == 5
    assert "<html" not in more
    assert 'hx-trigger="revealed"' not in more  # last page: no further sentinel


def test_filters_swap_the_results_through_htmx(client, shop):
    response = client.get(
        f"/c/{shop['digital'].slug}/",
        {"brand": str(shop["sony"].pk), "in_stock": "1", "sort": "price_desc"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.startswith('<div id="results"')
    titles = re.findall(r'class="product-title"[^>]*>([^<]+)<', html)
    expected = [f"蓝牙耳机 {n}" for n in reversed(range(25)) if n % 2 and n != 3]
    assert titles == expected


def test_search_page_with_result_count_and_correction(client, shop):
    page = client.get("/search/", {"q": "蓝牙耳机"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "25 results for “蓝牙耳机”" in without_tags(page)
    # The shopper's words are theirs: page translators and the language check leave them be.
    assert '“<span translate="no">蓝牙耳机</span>”' in page.content.decode()
    corrected = client.get("/search/", {"q": "earphnes"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Showing results for “earphones”" in without_tags(corrected)


def test_suggestion_box_partial(client, shop):
    html = client.get("/search/suggest", {"q": "蓝牙"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="suggestion"' in html
    assert "<html" not in html
    assert client.get("/search/suggest", {"q": ""}).content.decode().strip() == ""


@pytest.mark.parametrize(
    "query",
    [
        '"; DROP TABLE catalog_product; --',
        "蓝牙 AND OR NEAR(",
        "*^:()",
        "🎧🎧🎧",
        "a" * 10_000,
        "\x1f\x7f",  # a NUL is refused at the edge: tests/core/test_input_characters.py
    ],
)
def test_hostile_queries_never_500(client, shop, query):
    assert client.get("/search/", {"q": query}, follow=True).status_code == 200


@pytest.mark.parametrize(
    ("params", "status"),
    [({"price_min": "abc"}, 400), ({"sort": "nope"}, 400), ({"cursor": "forged"}, 400)],
)
def test_bad_filters_show_a_message(client, shop, params, status):
    response = client.get(f"/c/{shop['digital'].slug}/", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status
    assert 'data-testid="listing-error"' in response.content.decode()


def test_unknown_category_is_404(client, shop):
    assert client.get("/c/no-such-thing/").status_code == 404
