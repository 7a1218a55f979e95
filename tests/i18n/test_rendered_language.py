"""Every main page, rendered in English and in Chinese, speaks one language.

A small world (a product with SKUs, a note tagging it, a circle, coupons, a flash sale, a group
buy, a bargain, orders and inbox items for a signed-in shopper) is rendered page by page with the
Django test client. What a reader sees is collected — visible text plus placeholder, title,
aria-label, alt and button values — leaving out scripts, styles, the <title> (it quotes the
page's content, and the page's own heading is checked), every subtree marked `translate="no"`
(user and merchant content: titles, nicknames, note bodies, addresses) and every subtree in
another declared `lang` (the language switch names 中文 in Chinese on English pages).
An English page fails on any CJK character; a Chinese page fails on any Latin word of two or
more letters that is not in `ALLOWED_LATIN` below or part of a code with digits (order
numbers such as CM2612071SBKWY). One failure message lists every page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from circlemart.accounts import services as account_services
from circlemart.cart import services as cart_services
from circlemart.catalog.models import Category
from circlemart.orders.models import Order
from circlemart.promotions.bargain import services as bargain_services
from circlemart.promotions.group import services as group_services
from circlemart.reviews import services as review_services
from circlemart.social import services as social_services
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories
from tests.orders.conftest import place
from tests.promotions.bargain.test_services import bargain_deal
from tests.promotions.conftest import claimed, template
from tests.promotions.flash.test_services import flash_item
from tests.promotions.group.test_services import group_deal
from tests.reviews.helpers import Purchases
from tests.social.helpers import note

pytestmark = pytest.mark.django_db

# Latin words a Chinese page may show, and why.
ALLOWED_LATIN = {
    "circlemart",  # the shop's name, a brand, written the same in both languages
    "api",  # the footer's developer link: developers call it API in Chinese too
    "cny",  # currency code
    "sku",  # the trade's own word, used as is by Chinese merchants
    "id",  # "ID" reads as is in Chinese
    "vip",  # membership level tokens
    "app",
    "kg",  # units
    "cm",
    "mm",
    "ml",
}

# Ideographs, CJK punctuation and full-width punctuation (not the full-width ＋ of a "post" button).
CJK = re.compile(
    r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff0a\uff0c-\uff20\uff5b-\uff65]+"
)
TOKEN = re.compile(r"[A-Za-z0-9]+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")


class _ReaderText(HTMLParser):
    """The words of a page a reader meets, minus scripts, styles and `translate="no"` content."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language[:2]
        self.words: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_tag is not None:
            if tag == self._skip_tag and tag not in VOID:
                self._skip_depth += 1
            return
        attributes = dict(attrs)
        declared = (attributes.get("lang") or self.language)[:2].lower()
        if (
            attributes.get("translate") == "no"
            or tag in {"script", "style", "title"}
            or declared != self.language
        ):
            if tag not in VOID:
                self._skip_tag, self._skip_depth = tag, 1
            return
        self.words.extend(value for name in READ_ATTRIBUTES if (value := attributes.get(name)))
        is_button = tag == "button" or (
            tag == "input" and attributes.get("type") in {"submit", "button", "reset"}
        )
        if is_button and attributes.get("value") and tag == "input":
            self.words.append(attributes["value"] or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            self.handle_starttag(tag, attrs)
        else:  # <div/> is an empty element: open and close it
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip_tag is not None and tag == self._skip_tag:
            self._skip_depth -= 1
            if self._skip_depth == 0:
                self._skip_tag = None

    def handle_data(self, data: str) -> None:
        if self._skip_tag is None and data.strip():
            self.words.append(data.strip())


def reader_text(html: str, language: str = "en") -> list[str]:
    reader = _ReaderText(language)
    reader.feed(html)
    reader.close()
    return reader.words


def untranslated(words: list[str], language: str) -> list[str]:
    """The pieces of text in the wrong language, each once, in page order."""
    found: list[str] = []
    for text in words:
        if language == "en":
            hits = CJK.findall(text)
        else:
            hits = [
                token
                for token in TOKEN.findall(text)
                if LATIN_WORD.search(token)
                and not any(char.isdigit() for char in token)
                and token.lower() not in ALLOWED_LATIN
            ]
        if hits:
            shown = " ".join(text.split())
            if shown not in found:
                found.append(shown[:120])
    return found


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[dict[str, Any]], str]
    signed_in: bool = True
    status: int = 200


# Names in the world that have an English twin: an English page shows the twin, even where it
# marks the name translate="no" (the Chinese search query page excepted: it echoes the query).
TWINNED = ["无线蓝牙降噪耳机", "耳机", "满100减10", "满99减20"]

# The main pages of the storefront; `world` holds the ids they need.
PAGES = [
    Page("home", lambda w: "/"),
    Page("category listing", lambda w: f"/c/{w['category_slug']}/"),
    Page("search results", lambda w: "/search/?q=耳机"),
    Page("search results (English query)", lambda w: "/search/?q=headphones"),
    Page("product", lambda w: f"/p/{w['product_id']}/"),
    Page("product (signed out)", lambda w: f"/p/{w['product_id']}/", signed_in=False),
    Page("cart", lambda w: "/cart/"),
    Page("checkout", lambda w: f"/orders/checkout/?sku_id={w['sku_id']}&quantity=1"),
    Page("orders", lambda w: "/orders/"),
    Page("order detail (paid)", lambda w: f"/orders/{w['paid_order']}/"),
    Page("order detail (unpaid)", lambda w: f"/orders/{w['unpaid_order']}/"),
    Page("me", lambda w: "/accounts/profile/"),
    Page("addresses", lambda w: "/accounts/addresses/"),
    Page("inbox", lambda w: "/inbox/"),
    Page("discover", lambda w: "/discover/"),
    Page("following feed", lambda w: "/feed/"),
    Page("note", lambda w: f"/notes/{w['note_id']}/"),
    Page("author profile", lambda w: f"/u/{w['creator_id']}/"),
    Page("circles", lambda w: "/circles/"),
    Page("circle", lambda w: f"/circles/{w['circle_id']}/"),
    Page("coupon centre", lambda w: "/promotions/coupons/"),
    Page("my coupons", lambda w: "/promotions/me/"),
    Page("flash sale", lambda w: "/promotions/flash/"),
    Page("group deal", lambda w: f"/promotions/groups/deals/{w['group_deal_id']}/"),
    Page("group", lambda w: f"/promotions/groups/{w['group_id']}/"),
    Page("my groups", lambda w: "/promotions/groups/mine/"),
    Page("bargains", lambda w: "/promotions/bargains/"),
    Page("bargain deal", lambda w: f"/promotions/bargains/{w['bargain_deal_id']}/"),
    Page("my bargain", lambda w: f"/promotions/bargains/b/{w['bargain_id']}/"),
    Page("group deals", lambda w: "/deals/group/"),
    Page("rewards", lambda w: "/growth/"),
    Page("points", lambda w: "/growth/points/"),
    Page("check-in", lambda w: "/growth/check-in/"),
    Page("tasks", lambda w: "/growth/tasks/"),
    Page("level", lambda w: "/growth/level/"),
    Page("points mall", lambda w: "/growth/mall/"),
    Page("invites", lambda w: "/growth/invites/"),
    Page("games", lambda w: "/growth/games/"),
    Page("my prizes", lambda w: "/growth/games/my-prizes/"),
    Page("my redemptions", lambda w: "/growth/mall/mine/"),
    Page("distributor centre", lambda w: "/growth/distribution/"),
    Page("refund request", lambda w: f"/orders/{w['paid_order']}/after-sales/"),
    Page("redeem a code", lambda w: "/promotions/redeem/"),
    Page("topic", lambda w: "/t/露营/"),
    Page("compose a note", lambda w: "/notes/new/"),
    Page("new circle", lambda w: "/circles/new/"),
    Page("product reviews", lambda w: f"/reviews/products/{w['product_id']}/"),
    Page("product questions", lambda w: f"/reviews/products/{w['product_id']}/questions/"),
    Page("question", lambda w: f"/reviews/questions/{w['question_id']}/"),
    Page("edit profile", lambda w: "/accounts/profile/edit/"),
    Page("change password", lambda w: "/accounts/password/"),
    Page("notification settings", lambda w: "/inbox/preferences/"),
    Page("sign in", lambda w: "/accounts/login/", signed_in=False),
    Page("sign up", lambda w: "/accounts/signup/", signed_in=False),
    Page("phone sign in", lambda w: "/accounts/login/phone/", signed_in=False),
    Page("password reset", lambda w: "/accounts/password/reset/", signed_in=False),
    Page("not found", lambda w: "/no-such-page/", status=404),
]


@pytest.fixture(params=["en", "zh-hans"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(
    language: str, act: Callable[..., Any], pay: Callable[..., Order], drain: Callable[[], None]
) -> Any:
    # Orders keep the wording of their discounts as quoted at checkout, in the shopper's
    # language then: the world is built in the language its pages are read in.
    with translation.override(language):
        return _build_world(run=act, pay=pay, drain=drain)


def _build_world(
    *, run: Callable[..., Any], pay: Callable[..., Order], drain: Callable[[], None]
) -> dict[str, Any]:
    shopper = UserFactory(nickname="小鹿")
    creator = UserFactory(nickname="露营达人")
    address_id = account_services.address_create(
        user=shopper,
        data=account_services.AddressInput(
            recipient="张三",
            phone="13800138000",
            province="上海市",
            city="上海市",
            detail="人民路 1 号",
        ),
    ).pk
    category = catalog_factories.category("耳机", name_en="Headphones")
    product = catalog_factories.product(in_category=category, prices=(19900, 25900))
    sku_id = product.skus.order_by("pk").first().pk  # type: ignore[union-attr]

    cart_id = cart_services.cart_ensure(user_id=shopper.pk)
    cart_services.cart_add(cart_id=cart_id, sku_id=sku_id, quantity=2)
    # Placed before anything is paid: the gateway's in-process webhook request switches the
    # thread to the site's default language, as a request does.
    unpaid = place(shopper, address_id, sku_id)
    paid = pay(place(shopper, address_id, sku_id))

    line_id = Purchases().buy(shopper, product)  # delivered: the shopper reviews it
    review_services.review_create(
        author_id=shopper.pk,
        product_id=product.pk,
        order_line_id=line_id,
        rating=4,
        text="音质很好，续航也不错",
    )
    question = review_services.question_ask(
        author_id=creator.pk, product_id=product.pk, text="降噪效果怎么样？"
    )
    review_services.answer_post(author_id=shopper.pk, question_id=question.id, text="地铁上很安静")

    coupon = template()
    template(name="满99减20", name_en="¥20 off ¥99", amount=2000, min_spend=9900)
    claimed(shopper.pk, coupon)
    flash_item()

    deal = group_deal()
    ref = run(
        group_services.group_open, buyer_id=shopper.pk, deal_id=deal.pk, address_id=address_id
    )
    pay(Order.objects.get(number=ref.order_number))
    bargain = bargain_deal()
    bargain_id = bargain_services.bargain_start(
        deal_id=bargain.pk, starter_id=shopper.pk
    ).bargain_id

    circle = social_services.circle_create(
        owner_id=creator.pk, name="露营圈", description="一起去露营"
    )
    social_services.follow_create(follower_id=shopper.pk, followee_id=creator.pk)
    tagged = note(creator, "周末露营装备清单 #露营", title="周末露营清单", product_ids=[product.pk])
    own = note(shopper, "第一次露营 #露营", title="我的第一次露营")
    run(social_services.note_like, user_id=creator.pk, note_id=own.pk)
    run(social_services.comment_create, author_id=creator.pk, note_id=own.pk, text="好看！")
    drain()
    # The helpers' default category has no English name; the demo's categories all have one.
    Category.objects.filter(name_en="").update(name_en="Digital")
    cache.clear()
    return {
        "shopper": shopper,
        "category_slug": category.slug,
        "product_id": product.pk,
        "sku_id": sku_id,
        "paid_order": paid.number,
        "unpaid_order": unpaid.number,
        "note_id": tagged.pk,
        "creator_id": creator.pk,
        "circle_id": circle.pk,
        "group_deal_id": deal.pk,
        "group_id": ref.group_id,
        "bargain_deal_id": bargain.pk,
        "bargain_id": bargain_id,
        "question_id": question.id,
    }


def test_main_pages_speak_one_language(world: dict[str, Any], language: str) -> None:
    signed_in = Client(HTTP_ACCEPT_LANGUAGE=language)
    signed_in.force_login(world["shopper"])
    visitor = Client(HTTP_ACCEPT_LANGUAGE=language)
    problems: list[str] = []
    for page in PAGES:
        url = page.url(world)
        response = (signed_in if page.signed_in else visitor).get(url)
        if response.status_code != page.status:
            problems.append(f"{page.name} ({url}): status {response.status_code}")
            continue
        html = response.content.decode()
        if language == "en" and (twins := [t for t in TWINNED if t in html and t not in url]):
            problems.append(
                f"{page.name} ({url}): Chinese shown where an English twin exists: {twins}"
            )
        if leaks := untranslated(reader_text(html, language), language):
            listed = "\n      ".join(leaks)
            problems.append(f"{page.name} ({url}):\n      {listed}")
    assert not problems, f"untranslated text on {language} pages:\n  " + "\n  ".join(problems)


def test_the_reader_skips_what_is_not_ui_text() -> None:
    html = (
        '<p>Hello <span translate="no">小鹿 <b>露营</b></span> world</p>'
        "<script>var x = '中文';</script><style>p{}</style>"
        '<img alt="商品图" src="x"><input type="submit" value="提交"><input value="typed">'
        '<div translate="no"><div>嵌套</div><img alt="内"></div><p title="标题">after</p>'
        '<title>小鹿 · Circlemart</title><button lang="zh-Hans">中文</button><a lang="en">EN</a>'
    )
    assert reader_text(html) == ["Hello", "world", "商品图", "提交", "标题", "after", "EN"]
    assert untranslated(reader_text(html), "en") == ["商品图", "提交", "标题"]
    assert reader_text(html, "zh-hans")[-2:] == ["after", "中文"]
    assert untranslated(
        ["共 3 件 SKU", "3 items", "订单 CM2612071SBKWY", "CN¥9", "＋ 发布"], "zh-hans"
    ) == [
        "3 items",
        "CN¥9",
    ]
    assert untranslated(["＋ Post", "满 ¥99 包邮", "Ends in 1d 02:03:04"], "en") == ["满 ¥99 包邮"]
