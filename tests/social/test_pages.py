"""Social pages through the test client: composer, note page, likes and comments over htmx,
profiles with follow and block, feeds with infinite scroll, circles, topics; XSS inert."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client

from circlemart.social import selectors, services
from circlemart.social.models import Comment, Follow, Note, NoteLike, ShareVisit
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog
from tests.social.helpers import follow, image_upload, note

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def signed_in(client: Client, user=None):
    user = user or UserFactory()
    client.force_login(user)
    return user


def test_compose_publishes_with_images_and_product(client):
    author = signed_in(client)
    product = catalog.product()
    response = client.post(
        "/notes/new/",
        {
            "title": "开箱",
            "text": "好物 #数码",
            "visibility": "public",
            "product_ids": str(product.pk),
            "images": [image_upload("a.jpg"), image_upload("b.png", fmt="PNG")],
            "action": "publish",
        },
    )
    note_row = Note.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/notes/{note_row.pk}/"
    assert (note_row.author_id, note_row.images.count(), note_row.status) == (
        author.pk,
        2,
        "published",
    )
    page = client.get(f"/notes/{note_row.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "开箱" in html
    assert f'href="/p/{product.pk}/"' in html
    assert 'src="/static/social/composer.js"' in client.get("/notes/new/").content.decode()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "ok", "product_ids": "99999"}, "product_ids"),
        ({"text": "ok", "product_ids": "a,b"}, "product_ids"),
    ],
)
def test_compose_shows_errors_next_to_the_field(client, fields, field):
    signed_in(client)
    response = client.post("/notes/new/", {"visibility": "public", "action": "publish", **fields})
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not Note.objects.exists()


def test_compose_refuses_ten_images(client):
    signed_in(client)
    response = client.post(
        "/notes/new/",
        {
            "text": "x",
            "visibility": "public",
            "images": [image_upload(f"{i}.jpg", size=(30, 30)) for i in range(10)],
        },
    )
    assert response.status_code == 400
    assert "at most 9 images" in response.content.decode()
    assert not Note.objects.exists()


def test_compose_needs_sign_in(client):
    response = client.get("/notes/new/")
    assert response.status_code == 302
    assert "/accounts/login" in response["Location"]


def test_script_and_event_handlers_are_inert_everywhere(client):
    author = UserFactory(nickname="author")
    written = note(author, XSS + " #topic", title=XSS[:60], location="<b onmouseover=x>")
    services.comment_create(author_id=author.pk, note_id=written.pk, text=XSS)
    circle = services.circle_create(owner_id=author.pk, name="安全圈", description=XSS, rules=XSS)
    pages = [
        f"/notes/{written.pk}/",
        f"/u/{author.pk}/",
        "/discover/",
        f"/circles/{circle.pk}/",
        "/circles/",
        "/t/topic/",
    ]
    for path in pages:
        html = client.get(path).content.decode()
        assert "<script>alert" not in html, path
        assert 'onerror="alert' not in html, path
        assert "<b onmouseover" not in html, path
    detail = client.get(f"/notes/{written.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail


def test_like_and_comment_over_htmx(client):
    author = UserFactory()
    written = note(author)
    fan = signed_in(client)
    liked = client.post(f"/notes/{written.pk}/like", {"liked": "0"}, **HTMX)
    assert liked.status_code == 200
    assert 'aria-pressed="true"' in liked.content.decode()
    assert re.search(r'data-testid="like-count">1<', liked.content.decode())
    again = client.post(f"/notes/{written.pk}/like", {"liked": "0"}, **HTMX)  # double click
    assert re.search(r'data-testid="like-count">1<', again.content.decode())
    assert NoteLike.objects.count() == 1
    commented = client.post(f"/notes/{written.pk}/comments", {"text": "真好看"}, **HTMX)
    assert commented.status_code == 200
    assert "真好看" in commented.content.decode()
    empty = client.post(f"/notes/{written.pk}/comments", {"text": ""}, **HTMX)
    assert empty.status_code == 400
    assert 'data-testid="comment-error"' in empty.content.decode()
    assert Comment.objects.count() == 1
    hidden = note(author, "friends only", visibility="friends")
    assert client.post(f"/notes/{hidden.pk}/comments", {"text": "hi"}, **HTMX).status_code == 404
    del fan


def test_hidden_and_draft_notes_are_404_for_others(client):
    author = UserFactory()
    draft = note(author, publish=False)
    signed_in(client)
    assert client.get(f"/notes/{draft.pk}/").status_code == 404
    client.force_login(author)
    assert client.get(f"/notes/{draft.pk}/").status_code == 200


def test_profile_follow_and_block(client):
    star = UserFactory(nickname="星星")
    me = signed_in(client)
    page = client.get(f"/u/{star.pk}/")
    assert page.status_code == 200
    assert 'data-testid="follow"' in page.content.decode()
    followed = client.post(f"/u/{star.pk}/follow", {"action": "follow"}, **HTMX)
    assert 'data-testid="unfollow"' in followed.content.decode()
    assert re.search(r'data-testid="followers-count">1<', followed.content.decode())
    blocked = client.post(f"/u/{star.pk}/block", {"action": "block"}, **HTMX)
    assert 'data-testid="unblock"' in blocked.content.decode()
    assert not Follow.objects.filter(follower=me).exists()
    assert client.get("/u/999999/").status_code == 404


def test_following_feed_scrolls_with_htmx(client):
    me = signed_in(client)
    author = UserFactory()
    follow(me, author)
    for index in range(15):
        note(author, f"note {index}")
    first = client.get("/feed/").content.decode()
    assert first.count('data-testid="note-card"') == 12
    more = (
        re.search(r'hx-get="([^"]+)" hx-trigger="revealed"', first).group(1).replace("&amp;", "&")
    )
    rest = client.get(more, **HTMX).content.decode()
    assert rest.count('data-testid="note-card"') == 3
    assert "<html" not in rest
    assert client.get("/feed/?cursor=forged").status_code == 404


def test_share_link_visit_is_recorded_and_attributed(client):
    author, sharer = UserFactory(), UserFactory()
    written = note(author)
    link = services.share_link_create(sharer_id=sharer.pk, note_id=written.pk)
    visitor = signed_in(client)
    assert client.get(link.path).status_code == 200
    visit = ShareVisit.objects.get()
    assert (visit.sharer_id, visit.visitor_id, visit.note_id) == (sharer.pk, visitor.pk, written.pk)
    assert client.session["social_share"]["sharer_id"] == sharer.pk
    poster = client.get(f"/notes/{written.pk}/poster.png")
    assert poster["Content-Type"] == "image/png"


def test_circle_and_topic_pages(client):
    owner = UserFactory()
    circle = services.circle_create(owner_id=owner.pk, name="徒步圈", rules="不乱扔垃圾")
    me = signed_in(client)
    page = client.get(f"/circles/{circle.pk}/").content.decode()
    assert "Join the circle to see its posts." in page
    client.post(f"/circles/{circle.pk}/membership", {"action": "join"})
    note(me, "周末去爬山", visibility="circle", circle_id=circle.pk)
    page = client.get(f"/circles/{circle.pk}/").content.decode()
    assert "周末去爬山" in page
    created = client.post("/circles/new/", {"name": "新圈子", "description": "d"})
    assert created.status_code == 302
    note(owner, "#露营 真开心")
    topic = client.get("/t/露营/")
    assert topic.status_code == 200
    assert "真开心" in topic.content.decode()
    client.post("/t/露营/follow", {"action": "follow"})
    assert selectors.topic_detail(name="露营", viewer_id=me.pk).followed_by_me
    assert client.get("/t/nothing/").status_code == 404


def test_product_notes_partial():
    product = catalog.product()
    note(UserFactory(), "推荐这个", product_ids=[product.pk])
    cards = selectors.notes_tagging_product(product.pk, None, 4)
    html = render_to_string(
        "social/partials/product_notes.html", {"notes": cards, "product_id": product.pk}
    )
    assert "推荐这个" in html
    assert f"?product={product.pk}" in html


def test_pages_have_no_inline_scripts(client):
    signed_in(client)
    for path in ("/notes/new/", "/discover/", "/feed/", "/circles/"):
        html = client.get(path).content.decode()
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag or "nonce=" in tag, (path, tag)
        assert " style=" not in html, path


def test_product_page_loads_the_notes_that_tag_the_product() -> None:
    from tests.catalog import factories as catalog_factories
    from tests.social.helpers import note as make_note

    product = catalog_factories.product(title="露营灯", title_en="Camping lantern")
    make_note(UserFactory(), text="周末露营必备 #camping", product_ids=[product.pk])
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/p/{product.pk}/").content.decode()
    assert f'hx-get="/notes/about/{product.pk}/"' in page
    block = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/notes/about/{product.pk}/").content.decode()
    assert "周末露营必备" in block
    assert 'data-testid="product-notes"' in block
