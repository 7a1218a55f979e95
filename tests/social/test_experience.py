"""Issue 12 social pages: the composer's product picker, follow buttons that show the
followed state, circle lists that keep their titles' promises, and the waterfall tiles."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from circlemart.core import clock
from circlemart.search import services as search_services
from circlemart.social import selectors, services
from circlemart.social.models import Circle, Follow, Note, NoteImage, NoteProduct
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog
from tests.social.helpers import follow, image_upload, note

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def signed_in(client: Client, user=None):
    user = user or UserFactory()
    client.force_login(user)
    return user


# --- Product picker --------------------------------------------------------------------------


def test_picker_finds_products_by_words_and_skips_chosen_ones(client):
    headphones = catalog.product(title="无线蓝牙降噪耳机", title_en="Wireless Headphones")
    earbuds = catalog.product(title="降噪耳机 Pro", title_en="Earbuds Pro")
    kettle = catalog.product(title="电热水壶", title_en="Kettle")
    search_services.index_products([headphones.pk, earbuds.pk, kettle.pk])
    signed_in(client)

    found = client.get("/notes/new/products", {"q": "耳机"}, **HTMX)
    assert found.status_code == 200
    ids = [int(i) for i in re.findall(r'data-product-id="(\d+)"', found.content.decode())]
    assert set(ids) == {headphones.pk, earbuds.pk}
    assert 'data-testid="picker-option"' in found.content.decode()

    skipping = client.get(
        "/notes/new/products", {"q": "耳机", "product_ids": [str(earbuds.pk)]}, **HTMX
    )
    ids = [int(i) for i in re.findall(r'data-product-id="(\d+)"', skipping.content.decode())]
    assert ids == [headphones.pk]

    nothing = client.get("/notes/new/products", {"q": "zzzzqqq"}, **HTMX)
    assert 'data-testid="picker-empty"' in nothing.content.decode()
    assert client.get("/notes/new/products", {"q": ""}, **HTMX).content.strip() == b""


def test_picker_refuses_anonymous_and_bad_input(client):
    anonymous = client.get("/notes/new/products", {"q": "耳机"})
    assert anonymous.status_code == 302
    assert "/login" in anonymous["Location"]
    signed_in(client)
    assert client.get("/notes/new/products", {"q": "耳" * 61}, **HTMX).status_code == 400


def test_publishing_with_picked_products_tags_them_and_checks_the_ids(client):
    first, second = catalog.product(title="降噪耳机"), catalog.product(title="手冲壶")
    author = signed_in(client)
    response = client.post(
        "/notes/new/",
        {
            "text": "通勤好物",
            "visibility": "public",
            "action": "publish",
            "product_ids": [str(first.pk), str(second.pk)],
        },
    )
    assert response.status_code == 302
    made = Note.objects.get(author=author)
    tagged = NoteProduct.objects.filter(note=made).order_by("position")
    assert list(tagged.values_list("product_id", flat=True)) == [first.pk, second.pk]
    page = client.get(f"/notes/{made.pk}/").content.decode()
    assert page.count('data-testid="note-product"') == 2
    assert f'href="/p/{first.pk}/" data-testid="note-product"' in page

    refused = client.post(
        "/notes/new/",
        {"text": "x", "visibility": "public", "action": "publish", "product_ids": ["999999"]},
    )
    assert refused.status_code == 400
    assert 'data-field="product_ids"' in refused.content.decode()


def test_composer_shows_a_picker_not_an_id_box(client):
    product = catalog.product(title="降噪耳机", title_en="Headphones")
    signed_in(client)
    page = client.get(f"/notes/new/?product={product.pk}").content.decode()
    assert 'data-testid="product-picker"' in page
    assert 'hx-get="/notes/new/products"' in page
    assert f'<input type="hidden" name="product_ids" value="{product.pk}">' in page
    assert 'data-testid="note-products"' not in page  # the old "type the ids" box


# --- Follow buttons --------------------------------------------------------------------------


def test_note_page_follow_button_shows_and_toggles_the_followed_state(client):
    author = UserFactory(nickname="作者")
    made = note(author, "周末探店 #咖啡探店", title="宝藏咖啡店")
    me = signed_in(client)
    page = client.get(f"/notes/{made.pk}/").content.decode()
    assert 'data-testid="follow"' in page
    assert 'data-testid="unfollow"' not in page

    followed = client.post(
        f"/u/{author.pk}/follow", {"action": "follow", "view": "button"}, **HTMX
    ).content.decode()
    assert 'data-testid="unfollow"' in followed
    assert ">Following<" in followed
    assert 'aria-pressed="true"' in followed
    assert "follower" not in followed
    assert Follow.objects.filter(follower=me, followee=author).exists()
    assert 'data-testid="unfollow"' in client.get(f"/notes/{made.pk}/").content.decode()

    back = client.post(
        f"/u/{author.pk}/follow", {"action": "unfollow", "view": "button"}, **HTMX
    ).content.decode()
    assert 'data-testid="follow"' in back
    assert ">Follow<" in back
    assert not Follow.objects.filter(follower=me).exists()


def test_follow_button_reads_in_chinese(client):
    author = UserFactory()
    me = signed_in(client)
    follow(me, author)
    zh = client.get(f"/u/{author.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert re.search(r'data-testid="unfollow"[^>]*>已关注<', zh)


def test_creator_strip_on_discover_shows_each_follow_state(client):
    stars = [UserFactory(nickname=f"达人{i}") for i in range(3)]
    fans = [UserFactory() for _ in range(3)]
    for star in stars:
        for fan in fans:
            follow(fan, star)
    me = signed_in(client)
    follow(me, stars[0])
    page = client.get("/discover/").content.decode()
    strip = page[page.index('data-testid="creators"') :]
    assert strip.count('data-testid="creator"') >= 3
    assert strip.count('data-testid="unfollow"') == 1
    assert strip.count('data-testid="follow"') >= 2


# --- Circles ---------------------------------------------------------------------------------


def _circle(owner, name, members=(), *, days_old=0, notes=0):
    circle = services.circle_create(owner_id=owner.pk, name=name, description="", rules="")
    for member in members:
        services.circle_join(user_id=member.pk, circle_id=circle.pk)
    Circle.objects.filter(pk=circle.pk).update(
        created_at=clock.now() - timedelta(days=days_old), note_count=notes
    )
    return circle


def test_each_circle_list_shows_what_its_title_promises(client):
    crowd = [UserFactory() for _ in range(6)]
    owner = UserFactory()
    big = _circle(owner, "大圈子", crowd, days_old=300)
    medium = _circle(owner, "中圈子", crowd[:3], days_old=200, notes=9)
    fresh = _circle(owner, "新圈子", days_old=1)
    joined = _circle(owner, "我的圈子", crowd[:1], days_old=100)
    me = signed_in(client)
    services.circle_join(user_id=me.pk, circle_id=joined.pk)

    assert [c.id for c in selectors.circles_of(user_id=me.pk, viewer_id=me.pk)] == [joined.pk]
    popular = [c.id for c in selectors.circles_popular(viewer_id=me.pk)]
    assert popular[:2] == [big.pk, medium.pk]
    assert next(c.id for c in selectors.circles_newest(viewer_id=me.pk)) == fresh.pk
    suggested = [c.id for c in selectors.circles_you_might_like(viewer_id=me.pk)]
    assert joined.pk not in suggested
    assert suggested[0] == medium.pk

    page = client.get("/circles/").content.decode()
    for section in ("circles-mine", "circles-suggested", "circles-popular", "circles-newest"):
        assert f'data-testid="{section}"' in page
    mine = page[
        page.index('data-testid="circles-mine"') : page.index('data-testid="circles-suggested"')
    ]
    assert "我的圈子" in mine
    assert "大圈子" not in mine
    newest = page[page.index('data-testid="circles-newest"') :]
    assert newest.index("新圈子") < newest.index("大圈子")


# --- Waterfall tiles -------------------------------------------------------------------------


def test_note_tiles_print_the_title_once_with_cover_size_avatar_and_likes(
    client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    author = UserFactory(nickname="小红")
    note(
        author, "正文内容 #美食", title="周末在家做番茄牛腩", images=[image_upload(size=(600, 800))]
    )
    page = client.get("/discover/").content.decode()
    assert "data-waterfall" in page
    assert "waterfall.js" in page
    assert page.count("周末在家做番茄牛腩") == 1
    tile = page[page.index('class="note-card"') :]
    tile = tile[: tile.index("</li>")]
    assert 'data-testid="note-card"' in tile
    assert re.search(r'width="\d+" height="\d+" data-testid="note-cover"', tile)
    cover = NoteImage.objects.get()
    assert f'width="{cover.width}" height="{cover.height}"' in tile
    assert cover.width * 4 == cover.height * 3
    assert 'translate="no">小红<' in tile
    assert "♡ 0" in tile


def test_note_page_gallery_products_and_relative_time(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    product = catalog.product(title="珐琅锅", title_en="Enamel pot")
    author = UserFactory()
    made = note(
        author,
        "好用 #美食",
        title="炖菜神器",
        product_ids=[product.pk],
        images=[image_upload(size=(600, 800)), image_upload(size=(600, 600))],
    )
    page = client.get(f"/notes/{made.pk}/").content.decode()
    assert page.count("<img src=") >= 2
    assert 'data-testid="note-gallery"' in page
    assert 'data-testid="note-product"' in page
    assert "Enamel pot" in page
    assert re.search(r'data-testid="note-time">(just now|\d+ minutes? ago)<', page)
