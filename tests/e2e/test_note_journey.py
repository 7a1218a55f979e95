"""Discover → note → tagged product, follow the author, and compose a note with the product
picker — on a phone, in a real browser under the strict CSP. Screenshots of the social pages
at both sizes and in both languages land in var/screenshots/."""

from __future__ import annotations

import io
import itertools
import random
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from circlemart.search import services as search_services
from circlemart.social import covers, services
from circlemart.social.contracts import NoteInput
from circlemart.social.models import Circle, Follow, Note, NoteProduct
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in

TITLES = [
    ("杭州宝藏咖啡店｜燕麦拿铁绝了", "咖啡探店", "cup"),
    ("小个子秋冬穿搭｜显高又显瘦", "ootd", "clothes"),
    ("在家复刻番茄牛腩，零失败版本来啦", "美食", "plate"),
    ("Desk setup upgrade: the monitor changed everything", "数码", "gadget"),
    ("大理4天攻略，人均2000元玩转", "旅行", "sun"),
    ("空瓶记｜这款精华用完3瓶了", "护肤", "bottle"),
    ("健身第30天｜臀腿训练计划分享", "健身打卡", "dumbbell"),
    ("5个提升幸福感的卧室好物", "好物分享", "bag"),
]


def _cover(index: int, kind: str, title: str) -> SimpleUploadedFile:
    rng = random.Random(index)
    size = (540, 540) if index % 3 == 2 else (540, 720)
    if index % 2:
        picture = covers.text_cover(
            rng, covers.CoverText(title.split("｜")[0][:10], "必看", "收藏备用"), size
        )
    else:
        picture = covers.illustrated_cover(rng, kind, size)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile(f"cover{index}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _world() -> tuple[object, object, object]:
    author = UserFactory(nickname="咖啡小姐姐")
    others = [UserFactory(nickname=f"创作者{i}") for i in range(3)]
    product = catalog.product(title="手冲咖啡壶 细口", title_en="Pour-over kettle")
    headphones = catalog.product(title="无线蓝牙降噪耳机", title_en="Wireless headphones")
    search_services.index_products([product.pk, headphones.pk])
    for index, (title, topic, kind) in enumerate(TITLES):
        writer = author if index == 0 else others[index % 3]
        services.note_create(
            author_id=writer.pk,
            data=NoteInput(
                text=f"周末的小分享，真实体验。\n#{topic}",
                title=title,
                product_ids=[product.pk] if index == 0 else [],
            ),
            images=[_cover(index, kind, title)],
            publish_now=True,
        )
    circles = [("咖啡 Coffee", "cup"), ("穿搭 Style", "clothes"), ("绿植 Plants", "plant")]
    for index, (name, kind) in enumerate([*circles, ("周末出游", "sun")]):
        circle = services.circle_create(
            owner_id=others[index % 3].pk,
            name=name,
            description="一起分享 · Share together",
            cover=_cover(index * 2, kind, name),
        )
        for member in [author, *others][: 4 - index]:
            if member.pk != others[index % 3].pk:
                services.circle_join(user_id=member.pk, circle_id=circle.pk)
    return author, product, headphones


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_discover_note_follow_and_compose_with_the_product_picker(
    open_page, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    author, product, headphones = _world()
    shopper = UserFactory(nickname="逛逛")

    phone = open_page(**PHONE)
    sign_in(phone, shopper.email)
    phone.goto("/discover/")
    cards = phone.get_by_test_id("note-card")
    expect(cards).to_have_count(len(TITLES))
    expect(phone.get_by_test_id("note-cover").first).to_be_visible()
    # Wait for the covers by a promise, not a polled predicate (CSP refuses eval'd predicates).
    phone.evaluate(
        """() => Promise.all(
             Array.from(document.querySelectorAll('[data-testid=note-cover]')).map(i =>
               i.complete ? true : new Promise(done => { i.onload = i.onerror = done; })))"""
    )
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert first
    assert second
    # Two columns side by side, each about half the screen, first row level.
    assert 150 < first["width"] < 200
    assert abs(first["width"] - second["width"]) < 2
    assert second["x"] > first["x"] + first["width"] - 1
    assert abs(first["y"] - second["y"]) < 2
    xs = {round(cards.nth(i).bounding_box()["x"]) for i in range(len(TITLES))}  # type: ignore[index]
    assert len(xs) == 2
    # Waterfall: a tile starts right under the tile above it in its column.
    boxes = [cards.nth(i).bounding_box() for i in range(len(TITLES))]
    for column in xs:
        stack = sorted(
            (box for box in boxes if box and round(box["x"]) == column), key=lambda b: b["y"]
        )
        for upper, lower in itertools.pairwise(stack):
            assert lower["y"] - (upper["y"] + upper["height"]) < 90  # tile meta + gap, no holes
    screenshot(phone, "social-discover-mobile-zh", full_page=False)

    cards.filter(has_text="杭州宝藏咖啡店").click()
    expect(phone.get_by_test_id("note-title")).to_have_text("杭州宝藏咖啡店｜燕麦拿铁绝了")
    tagged = phone.get_by_test_id("note-product")
    expect(tagged).to_have_count(1)
    expect(tagged).to_contain_text("手冲咖啡壶")
    follow = phone.get_by_test_id("note").get_by_test_id("follow")
    follow.click()
    unfollow = phone.get_by_test_id("note").get_by_test_id("unfollow")
    expect(unfollow).to_have_text("已关注")
    assert Follow.objects.filter(follower=shopper, followee=author).exists()
    screenshot(phone, "social-note-mobile-zh")
    unfollow.click()
    expect(phone.get_by_test_id("note").get_by_test_id("follow")).to_have_text("关注")
    assert not Follow.objects.filter(follower=shopper).exists()
    phone.get_by_test_id("note").get_by_test_id("follow").click()
    expect(phone.get_by_test_id("note").get_by_test_id("unfollow")).to_be_visible()

    tagged.click()
    expect(phone).to_have_url(re.compile(rf"/p/{product.pk}/$"))

    # Compose with the picker: type a word, pick a product, publish.
    phone.goto("/notes/new/")
    phone.get_by_label("标题").fill("通勤路上的安静")
    phone.get_by_test_id("note-text").fill("地铁上终于安静了 #数码")
    phone.get_by_test_id("picker-search").press_sequentially("耳机", delay=50)
    option = phone.get_by_test_id("picker-option")
    expect(option).to_have_count(1)
    expect(option).to_contain_text("无线蓝牙降噪耳机")
    phone.get_by_test_id("picker-search").scroll_into_view_if_needed()
    phone.mouse.wheel(0, 200)
    screenshot(phone, "social-composer-picker-mobile-zh", full_page=False)
    option.click()
    picked = phone.get_by_test_id("picked-product")
    expect(picked).to_have_count(1)
    expect(picked).to_contain_text("无线蓝牙降噪耳机")
    expect(option).to_have_count(0)
    screenshot(phone, "social-composer-picked-mobile-zh")
    phone.get_by_test_id("publish").click()
    expect(phone.get_by_test_id("note-title")).to_have_text("通勤路上的安静")
    expect(phone.get_by_test_id("note-product")).to_contain_text("无线蓝牙降噪耳机")
    made = Note.objects.get(author=shopper)
    assert list(NoteProduct.objects.filter(note=made).values_list("product_id", flat=True)) == [
        headphones.pk
    ]

    services.circle_join(user_id=shopper.pk, circle_id=Circle.objects.get(name="绿植 Plants").pk)
    phone.goto("/circles/")
    expect(phone.get_by_test_id("circles-mine")).to_contain_text("绿植 Plants")
    expect(phone.get_by_test_id("circles-suggested")).not_to_contain_text("绿植 Plants")
    screenshot(phone, "social-circles-mobile-zh")
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_discover_uses_the_desktop_width_in_both_languages(
    open_page, browser_log: BrowserLog, screenshot: Screenshot
) -> None:
    _world()
    desktop = open_page(viewport={"width": 1366, "height": 900})
    desktop.goto("/discover/")
    cards = desktop.get_by_test_id("note-card")
    expect(cards).to_have_count(len(TITLES))
    xs = {round(cards.nth(i).bounding_box()["x"]) for i in range(len(TITLES))}  # type: ignore[index]
    assert len(xs) >= 4
    screenshot(desktop, "social-discover-desktop-zh", full_page=False)
    cards.filter(has_text="杭州宝藏咖啡店").click()
    expect(desktop.get_by_test_id("note-product")).to_have_count(1)
    screenshot(desktop, "social-note-desktop-zh", full_page=False)

    english = open_page(locale="en-US", viewport={"width": 1366, "height": 900})
    english.goto("/discover/")
    expect(english.get_by_test_id("note-card")).to_have_count(len(TITLES))
    expect(english.get_by_role("link", name="Discover").first).to_be_visible()
    screenshot(english, "social-discover-desktop-en", full_page=False)
    phone_en = open_page(locale="en-US", **PHONE)
    phone_en.goto("/discover/")
    expect(phone_en.get_by_test_id("note-card")).to_have_count(len(TITLES))
    screenshot(phone_en, "social-discover-mobile-en", full_page=False)
    phone_en.goto("/circles/")
    screenshot(phone_en, "social-circles-mobile-en")
    desktop.goto("/circles/")
    screenshot(desktop, "social-circles-desktop-zh")
    assert browser_log.problems() == []
