"""Shopper pages outside any one context: home, errors, health, language and security headers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from circlemart.accounts.models import User
from circlemart.social.services import follow_create
from tests.accounts.factories import UserFactory
from tests.html_page import visible_text

pytestmark = pytest.mark.django_db
HOME = reverse("storefront:home")


def follow_graph(*, followers_of: dict[User, list[User]]) -> None:
    for followee, followers in followers_of.items():
        for follower in followers:
            follow_create(follower_id=follower.pk, followee_id=followee.pk)


def creator_cards(html: str) -> list[str]:
    """The text of each creator card, in page order."""
    cards = re.findall(r'<li class="card person">(.*?)</li>', html, flags=re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", card).split()) for card in cards]


class TestHomeLanguage:
    def test_chinese_by_default(self, client: Client) -> None:
        response = client.get(HOME)

        assert response.status_code == 200
        assert response["Content-Language"] == "zh-hans"
        html = response.content.decode()
        assert '<html lang="zh-hans">' in html
        text = visible_text(response)
        for shown in (
            "发现好物，分享心得，和好友一起买",
            "人气达人",
            "登录",
            "注册",
            "首页",
            "我的",
        ):
            assert shown in text
        assert "Popular creators" not in text
        assert 'data-testid="lang-switch">EN</button>' in html

    def test_english_after_the_language_switch(self, client: Client) -> None:
        switched = client.post(reverse("set_language"), {"language": "en", "next": HOME})

        assert switched.status_code == 302
        assert switched["Location"] == HOME
        response = client.get(HOME)
        assert response["Content-Language"] == "en"
        html = response.content.decode()
        assert '<html lang="en">' in html
        text = visible_text(response)
        for shown in (
            "Discover, share and shop together",
            "Popular creators",
            "Sign in",
            "Sign up",
        ):
            assert shown in text
        assert "人气达人" not in text
        assert 'data-testid="lang-switch">中文</button>' in html

    def test_english_from_the_browser_language(self) -> None:
        response = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").get(HOME)

        assert response["Content-Language"] == "en"
        assert "Discover, share and shop together" in visible_text(response)

    def test_switching_back_to_chinese(self, client: Client) -> None:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

        client.post(reverse("set_language"), {"language": "zh-hans", "next": HOME})

        assert "人气达人" in visible_text(client.get(HOME))

    def test_language_switch_refuses_a_foreign_next(self, client: Client) -> None:
        response = client.post(
            reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
        )

        assert response.status_code == 302
        assert response["Location"] == "/"


class TestPopularCreators:
    def test_most_followed_first_with_their_follower_counts(self, client: Client) -> None:
        star = UserFactory(nickname="小红", city="上海")
        rising = UserFactory(nickname="阿杰", city="")
        newcomer = UserFactory(nickname="林林", city="广州")
        fans = UserFactory.create_batch(3)
        follow_graph(
            followers_of={star: fans, rising: fans[:2], newcomer: [star]},
        )

        response = client.get(HOME)

        assert creator_cards(response.content.decode()) == [
            "小 小红 上海 · 3 位粉丝",
            "阿 阿杰 2 位粉丝",
            "林 林林 广州 · 1 位粉丝",
        ]
        assert "6 位成员 · 6 次关注" in visible_text(response)

    def test_counts_read_well_in_english(self, client: Client) -> None:
        star = UserFactory(nickname="Lily", city="Shanghai")
        follow_graph(followers_of={star: [UserFactory()]})
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

        response = client.get(HOME)

        assert creator_cards(response.content.decode()) == ["L Lily Shanghai · 1 follower"]
        assert "2 members · 1 follow" in visible_text(response)

    def test_deactivated_creators_are_left_out(self, client: Client) -> None:
        gone = UserFactory(nickname="离开的人", is_active=False)
        here = UserFactory(nickname="还在的人")
        fan = UserFactory()
        follow_graph(followers_of={gone: [fan, here], here: [fan]})

        cards = creator_cards(client.get(HOME).content.decode())

        assert cards == ["还 还在的人 1 位粉丝"]

    def test_empty_shop_says_how_to_seed_it(self, client: Client) -> None:
        text = visible_text(client.get(HOME))

        assert "还没有达人——运行“circlemart seed-demo”生成演示数据。" in text

    @pytest.mark.parametrize("creators", [2, 6])
    def test_query_count_does_not_grow_with_the_creators(
        self, client: Client, django_assert_num_queries: Any, creators: int
    ) -> None:
        fan = UserFactory()
        for creator in UserFactory.create_batch(creators):
            follow_create(follower_id=fan.pk, followee_id=creator.pk)

        # cache generations, category tree, hot and new product ids (no cards: none exist), most
        # followed, their cards, the community notes, member count, follow count — however many
        # creators there are
        generation_lookups = 0 if settings.REDIS_URL else 2  # in Redis when there is one
        with django_assert_num_queries(8 + generation_lookups):
            response = client.get(HOME)
        assert len(creator_cards(response.content.decode())) == creators

        # Anonymous visitors then share the rendered body: one query for the generations.
        with django_assert_num_queries(generation_lookups // 2):
            again = client.get(HOME)
        assert len(creator_cards(again.content.decode())) == creators

    def test_signed_in_header_shows_the_nickname_and_sign_out(self, client: Client) -> None:
        client.force_login(UserFactory(nickname="王小二"))

        response = client.get(HOME)

        html = response.content.decode()
        assert 'data-testid="nav-profile">王小二</a>' in html
        text = visible_text(response)
        assert "退出登录" in text
        assert "加入 Circlemart" not in text


class TestErrorsHealthAndHeaders:
    def test_unknown_page_is_a_translated_404(self, client: Client) -> None:
        response = client.get("/no-such-page/")

        assert response.status_code == 404
        assert "页面不存在。" in visible_text(response)
        assert "返回商城" in visible_text(response)

    def test_health_check(self, client: Client) -> None:
        response = client.get(reverse("storefront:healthz"))

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_shopper_pages_carry_a_strict_csp_with_a_fresh_nonce(self, client: Client) -> None:
        first = client.get(HOME)["Content-Security-Policy"]
        second = client.get(HOME)["Content-Security-Policy"]

        nonce = re.search(r"script-src 'self' 'nonce-([\w-]+)';", first)
        assert nonce is not None
        assert "'unsafe-inline'" not in first
        assert "'unsafe-eval'" not in first
        assert "frame-ancestors 'none'" in first
        assert first != second

    def test_pages_have_no_inline_script_without_the_nonce(self, client: Client) -> None:
        response = client.get(HOME)
        nonce = re.search(r"'nonce-([\w-]+)'", response["Content-Security-Policy"])
        assert nonce is not None

        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", response.content.decode(), re.S)

        assert scripts  # htmx at least
        for attributes, body in scripts:
            assert "src=" in attributes or f'nonce="{nonce.group(1)}"' in attributes, body
        assert "style=" not in response.content.decode()

    def test_security_headers(self, client: Client) -> None:
        response = client.get(HOME)

        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
