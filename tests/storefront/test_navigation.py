"""Finding one's way: the phone tab bar (current tab marked), the desktop section links, the
home page's activity grid and category icons, the group-buy list, the "me" hub, an over-long
search, and unknown API addresses answered with problem JSON."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from circlemart.catalog import services as catalog_services
from circlemart.storefront.views import SEARCH_INPUT_MAX_CHARS
from tests.accounts.factories import UserFactory
from tests.html_page import flash_messages, visible_text

pytestmark = pytest.mark.django_db


def links(html: str) -> dict[str, str]:
    """{data-testid: href} of every link carrying a test id (the first one wins)."""
    found: dict[str, str] = {}
    for tag in re.findall(r"<a\b[^>]*>", html):
        testid = re.search(r'data-testid="([^"]+)"', tag)
        href = re.search(r'href="([^"]*)"', tag)
        if testid and href:
            found.setdefault(testid.group(1), href.group(1).replace("&amp;", "&"))
    return found


def current_tabs(html: str) -> list[str]:
    """The test ids of the tab bar links marked aria-current."""
    bar = re.search(r'<nav class="tabbar".*?</nav>', html, flags=re.DOTALL)
    assert bar is not None
    return re.findall(r'data-testid="(tab-[a-z]+)" aria-current="page"', bar.group(0))


def root_category(name: str, slug: str) -> None:
    catalog_services.category_create(name=name, name_en="", slug=slug, parent_id=None)


def signed_in(**fields: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(**fields))
    return client


class TestTabBar:
    def test_five_tabs_lead_home_discover_post_messages_and_me(self, client: Client) -> None:
        found = links(client.get("/").content.decode())

        assert {key: found[key] for key in found if key.startswith("tab-")} == {
            "tab-home": "/",
            "tab-discover": "/discover/",
            "tab-post": "/notes/new/",
            "tab-messages": "/inbox/",
            "tab-me": "/accounts/profile/",
        }

    @pytest.mark.parametrize(
        ("path", "tab"),
        [
            ("/", "tab-home"),
            ("/discover/", "tab-discover"),
            ("/circles/", "tab-discover"),
            ("/inbox/", "tab-messages"),
            ("/accounts/profile/", "tab-me"),
            ("/orders/", "tab-me"),
            ("/search/", None),
        ],
    )
    def test_the_current_tab_is_marked(self, path: str, tab: str | None) -> None:
        html = signed_in().get(path).content.decode()

        assert current_tabs(html) == ([tab] if tab else [])

    def test_the_post_button_asks_a_visitor_to_sign_in_first(self, client: Client) -> None:
        response = client.get("/notes/new/")

        assert response.status_code == 302
        target = urlsplit(response["Location"])
        assert target.path == "/accounts/login/"
        assert parse_qs(target.query)["next"] == ["/notes/new/"]

    def test_the_messages_tab_has_a_slot_for_the_unread_badge(self) -> None:
        html = signed_in().get("/").content.decode()

        tab = re.search(r'<a [^>]*data-testid="tab-messages".*?</a>', html, flags=re.DOTALL)
        assert tab is not None
        assert "data-badge-mirror" in tab.group(0)
        # One badge request per page: the header loads it, nav.js copies it onto the tab.
        assert html.count('hx-get="/inbox/badge/"') == 1
        assert 'src="/static/storefront/js/nav.js"' in html

    def test_icons_are_shipped_files_not_emoji(self, client: Client) -> None:
        html = client.get("/").content.decode()

        assert 'class="icon icon-home"' in html
        assert not re.search(r"[\U0001F300-\U0001FAFF]", html)


class TestHeader:
    def test_desktop_sections_lead_to_the_community_and_every_deal(self, client: Client) -> None:
        found = links(client.get("/").content.decode())

        assert {key: found[key] for key in found if key.startswith("nav-")} == {
            "nav-search": "/search/",
            "nav-cart": "/cart/",
            "nav-home": "/",
            "nav-discover": "/discover/",
            "nav-circles": "/circles/",
            "nav-live": "/live/",
            "nav-flash": "/promotions/flash/",
            "nav-coupons": "/promotions/coupons/",
            "nav-group": "/deals/group/",
            "nav-bargain": "/promotions/bargains/",
            "nav-post": "/notes/new/",
        }

    def test_a_signed_in_shopper_also_gets_orders_rewards_inbox_and_me(self) -> None:
        html = signed_in(nickname="小王").get("/").content.decode()

        found = links(html)
        assert found["nav-orders"] == "/orders/"
        assert found["nav-rewards"] == "/growth/"
        assert found["nav-profile"] == "/accounts/profile/"
        assert 'translate="no" data-testid="nav-profile">小王</a>' in html
        assert 'data-testid="inbox-badge-slot"' in html

    def test_every_search_box_caps_what_can_be_typed(self, client: Client) -> None:
        for path in ("/", "/search/"):
            html = client.get(path).content.decode()
            boxes = re.findall(r'<input type="search" name="q"[^>]*>', html)
            assert len(boxes) == 2, path  # the header's and the page's own
            assert all(f'maxlength="{SEARCH_INPUT_MAX_CHARS}"' in box for box in boxes), boxes


class TestHomeActivitiesAndCategories:
    def test_the_activity_grid_leads_to_each_activity(self, client: Client) -> None:
        found = links(client.get("/").content.decode())

        assert {key: found[key] for key in found if key.startswith("activity-")} == {
            "activity-flash": "/promotions/flash/",
            "activity-coupons": "/promotions/coupons/",
            "activity-group": "/deals/group/",
            "activity-bargain": "/promotions/bargains/",
            "activity-rewards": "/growth/",
            "activity-live": "/live/",
        }

    @pytest.mark.parametrize(
        "path",
        ["/promotions/flash/", "/promotions/coupons/", "/deals/group/", "/promotions/bargains/"],
    )
    def test_every_activity_page_opens_for_a_visitor(self, client: Client, path: str) -> None:
        response = client.get(path)

        assert response.status_code == 200
        assert "<h1" in response.content.decode()

    def test_categories_show_shipped_icons_and_a_generic_one_for_the_unknown(
        self, client: Client
    ) -> None:
        for name, slug in [("数码", "electronics"), ("宠物", "pets"), ("文具", "stationery")]:
            root_category(name, slug)

        html = client.get("/").content.decode()

        icons = re.findall(r'<img class="category-icon" src="([^"]+)"', html)
        assert icons == [
            "/static/storefront/icons/category-electronics.svg",
            "/static/storefront/icons/category-pets.svg",
            "/static/storefront/icons/category-generic.svg",
        ]

    def test_the_home_body_is_still_shared_by_visitors(
        self, client: Client, django_assert_num_queries: Any, settings: Any
    ) -> None:
        client.get("/")
        generation_lookups = 0 if settings.REDIS_URL else 1
        with django_assert_num_queries(generation_lookups):
            assert 'data-testid="activity-grid"' in client.get("/").content.decode()


class TestCommunityStrip:
    def test_home_shows_public_notes_from_the_community(self, client: Client) -> None:
        from tests.social.helpers import note

        author = UserFactory(nickname="穿搭小红")
        shown = note(author, "周末露营穿搭分享 #露营", title="周末露营穿搭")
        note(author, "只给粉丝看", title="粉丝可见", visibility="followers")

        html = client.get("/").content.decode()

        assert links(html)["community-note"] == f"/notes/{shown.pk}/"
        assert html.count('data-testid="community-note"') == 1
        assert '<span class="note-title" translate="no">周末露营穿搭</span>' in html
        assert links(html)["community-more"] == "/discover/"

    def test_no_strip_without_notes(self, client: Client) -> None:
        assert 'data-testid="community-notes"' not in client.get("/").content.decode()


class TestGroupDealsPage:
    def test_lists_live_group_deals_with_their_price(self) -> None:
        from tests.promotions.group.test_services import group_deal

        deal = group_deal(price=9900, group_price=5900, size=3)
        client = Client(HTTP_ACCEPT_LANGUAGE="en")

        response = client.get("/deals/group/")

        assert response.status_code == 200
        html = response.content.decode()
        assert links(html)["group-deal-link"] == f"/promotions/groups/deals/{deal.pk}/"
        text = visible_text(response)
        assert "3-person group CN¥59.00 CN¥99.00" in text
        assert "Join a group" in text

    def test_says_so_when_there_are_none(self) -> None:
        response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/deals/group/")

        assert 'data-testid="no-group-deals"' in response.content.decode()
        assert "No group buys right now. Come back soon!" in visible_text(response)


class TestMePage:
    def test_a_visitor_is_asked_to_sign_in(self, client: Client) -> None:
        response = client.get("/accounts/profile/")

        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/accounts/profile/"

    def test_the_hub_leads_to_orders_by_status_and_everything_mine(self) -> None:
        user = UserFactory(nickname="小王")
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)

        response = client.get("/accounts/profile/")

        found = links(response.content.decode())
        assert {key: found[key] for key in found if key.startswith("me-orders")} == {
            "me-orders": "/orders/",
            "me-orders-pending_payment": "/orders/?status=pending_payment",
            "me-orders-paid": "/orders/?status=paid",
            "me-orders-shipped": "/orders/?status=shipped",
            "me-orders-delivered": "/orders/?status=delivered",
            "me-orders-refunding": "/orders/?status=refunding",
        }
        assert found["to-rewards"] == "/growth/"
        assert found["me-coupons"] == "/promotions/me/"
        assert found["me-points"] == "/growth/points/"
        assert found["me-notes"] == f"/u/{user.pk}/"
        assert found["me-circles"] == "/circles/"
        assert found["me-groups"] == "/promotions/groups/mine/"
        assert found["me-bargains"] == "/promotions/bargains/"
        assert found["me-addresses"] == "/accounts/addresses/"
        assert found["me-password"] == "/accounts/password/"
        assert found["me-notification-settings"] == "/inbox/preferences/"
        assert "me-back-office" not in found
        text = visible_text(response)
        for label in ("To pay", "To ship", "To receive", "To review", "Refunds", "Sign out"):
            assert label in text
        html = response.content.decode()
        assert 'data-testid="me-sign-out"' in html
        assert 'data-testid="me-language-zh"' in html

    def test_counts_points_and_usable_coupons(self) -> None:
        html = signed_in().get("/accounts/profile/").content.decode()

        assert re.search(r'data-testid="me-points"><strong>0</strong>', html)
        assert re.search(r'data-testid="me-coupon-count"><strong>0</strong>', html)

    def test_staff_find_the_back_office(self) -> None:
        html = signed_in(is_staff=True).get("/accounts/profile/").content.decode()

        assert links(html)["me-back-office"] == "/admin/"


class TestLongSearch:
    def test_a_2000_character_query_is_cut_with_a_message(self) -> None:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        query = "蓝牙耳机降噪" * 334  # 2,004 characters

        response = client.get("/search/", {"q": query, "sort": "sales"})

        assert response.status_code == 302
        target = urlsplit(response["Location"])
        assert target.path == "/search/"
        params = parse_qs(target.query)
        assert params["q"] == [query[:SEARCH_INPUT_MAX_CHARS]]
        assert params["sort"] == ["sales"]
        assert len(response["Location"]) < 1500  # far below a web server's request-line limit
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert flash_messages(page) == [
            "Searches are limited to 100 characters: showing results for the first 100."
        ]

    def test_a_query_at_the_limit_is_searched_as_typed(self, client: Client) -> None:
        response = client.get("/search/", {"q": "耳" * SEARCH_INPUT_MAX_CHARS})

        assert response.status_code == 200

    def test_a_long_query_in_a_category_keeps_the_category(self, client: Client) -> None:
        root_category("数码", "electronics")

        response = client.get("/c/electronics/", {"q": "x" * 500})

        assert response.status_code == 302
        assert response["Location"].startswith("/c/electronics/?q=" + "x" * 100)


class TestUnknownApiAddresses:
    @pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
    @pytest.mark.parametrize("path", ["/api/v1/anything", "/api/v1/no/such/thing/"])
    def test_are_a_404_problem(self, client: Client, method: str, path: str) -> None:
        response = getattr(client, method)(path, HTTP_ACCEPT_LANGUAGE="en")

        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}

    def test_also_with_debug_on(self, client: Client, settings: Any) -> None:
        settings.DEBUG = True

        response = client.post("/api/v1/anything", {"a": 1}, HTTP_ACCEPT_LANGUAGE="en")

        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    def test_known_endpoints_still_answer(self, client: Client) -> None:
        assert client.get("/api/v1/catalog/categories").status_code == 200
