"""The /api/v1/social API through HTTP: notes, comments, likes, favourites, shares, circles,
topics, feeds; bad input is a 400 naming the field, hidden notes are 404s."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from circlemart.social.models import Comment, Note, NoteImage, NoteLike
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog
from tests.social.helpers import bearer, image_upload, note

pytestmark = pytest.mark.django_db


def post(client, path, body, user):
    return client.post(
        path, json.dumps(body), content_type="application/json", headers=bearer(user)
    )


def test_note_lifecycle_through_the_api(api_client):
    author, fan = UserFactory(), UserFactory()
    product = catalog.product()
    created = post(
        api_client,
        "/api/v1/social/notes",
        {"text": "新耳机 #数码", "title": "开箱", "product_ids": [product.pk], "publish": False},
        author,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    note_id = body["id"]
    assert (body["status"], body["topics"], body["products"][0]["id"]) == (
        "draft",
        ["数码"],
        product.pk,
    )
    assert api_client.get(f"/api/v1/social/notes/{note_id}", headers=bearer(fan)).status_code == 404
    files = {"images": [image_upload("a.jpg"), image_upload("b.jpg")]}
    uploaded = api_client.post(
        f"/api/v1/social/notes/{note_id}/images", files, headers=bearer(author)
    )
    assert uploaded.status_code == 200, uploaded.content
    assert len(uploaded.json()["images"]) == 2
    published = api_client.post(f"/api/v1/social/notes/{note_id}/publish", headers=bearer(author))
    assert published.json()["status"] == "published"
    edited = api_client.put(
        f"/api/v1/social/notes/{note_id}",
        json.dumps({"text": "新耳机，真香 #数码", "title": "开箱 v2"}),
        content_type="application/json",
        headers=bearer(author),
    )
    assert edited.json()["revision_count"] == 1
    revisions = api_client.get(f"/api/v1/social/notes/{note_id}/revisions").json()
    assert [r["title"] for r in revisions] == ["开箱"]
    assert (
        api_client.delete(f"/api/v1/social/notes/{note_id}", headers=bearer(fan)).status_code == 404
    )
    assert (
        api_client.delete(f"/api/v1/social/notes/{note_id}", headers=bearer(author)).status_code
        == 204
    )
    assert api_client.get(f"/api/v1/social/notes/{note_id}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"title": "no text"}, "text"),
        ({"text": "ok", "product_ids": [424242]}, "product_ids"),
        ({"text": "ok", "product_ids": ["abc"]}, "product_ids.0"),
        ({"text": "ok", "video_url": "javascript:alert(1)"}, "video_url"),
        ({"text": "ok", "visibility": "everyone"}, "visibility"),
    ],
)
def test_bad_note_input_is_400_naming_the_field(api_client, body, field):
    response = post(api_client, "/api/v1/social/notes", body, UserFactory())
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert not Note.objects.exists()


def test_image_upload_refusals(api_client):
    author = UserFactory()
    written = note(author)
    too_many = {"images": [image_upload(f"{i}.jpg", size=(40, 40)) for i in range(10)]}
    response = api_client.post(
        f"/api/v1/social/notes/{written.pk}/images", too_many, headers=bearer(author)
    )
    assert (response.status_code, response.json()["error"]["field"]) == (400, "images")
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = {"images": [SimpleUploadedFile("x.png", b"%PDF-1.4 not an image")]}
    response = api_client.post(
        f"/api/v1/social/notes/{written.pk}/images", fake, headers=bearer(author)
    )
    assert response.json()["error"]["code"] == "image_invalid"
    other = UserFactory()
    response = api_client.post(
        f"/api/v1/social/notes/{written.pk}/images",
        {"images": [image_upload()]},
        headers=bearer(other),
    )
    assert response.status_code == 404
    assert not NoteImage.objects.exists()


def test_comments_likes_favourites_and_shares(api_client):
    author, fan = UserFactory(), UserFactory()
    written = note(author)
    url = f"/api/v1/social/notes/{written.pk}"
    first = post(api_client, f"{url}/like", {}, fan)
    again = post(api_client, f"{url}/like", {}, fan)
    assert (first.status_code, first.json()["count"]) == (201, 1)
    assert (again.status_code, again.json()["created"], again.json()["count"]) == (200, False, 1)
    comment = post(api_client, f"{url}/comments", {"text": "<script>alert(1)</script>"}, fan)
    assert comment.status_code == 201
    reply = post(
        api_client, f"{url}/comments", {"text": "谢谢", "parent_id": comment.json()["id"]}, author
    )
    page = api_client.get(f"{url}/comments").json()
    assert page["items"][0]["text"] == "<script>alert(1)</script>"  # stored as typed; pages escape
    assert page["items"][0]["replies"][0]["id"] == reply.json()["id"]
    bad = post(api_client, f"{url}/comments", {"text": ""}, fan)
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "text")
    fav = post(api_client, f"{url}/favourite", {}, fan)
    assert fav.status_code == 201
    share = post(api_client, f"{url}/share", {"channel": "link"}, fan)
    token = share.json()["token"]
    assert share.json()["path"].endswith(token)
    attributed = api_client.get(f"/api/v1/social/attribution?s={token}")
    assert attributed.json()["sharer_id"] == fan.pk
    poster = api_client.get(f"{url}/poster.png", headers=bearer(fan))
    assert poster.status_code == 200
    assert poster["Content-Type"] == "image/png"
    assert poster.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert NoteLike.objects.count() == 1


def test_comment_on_hidden_note_is_404(api_client):
    author, other = UserFactory(), UserFactory()
    hidden = note(author, visibility="friends")
    response = post(api_client, f"/api/v1/social/notes/{hidden.pk}/comments", {"text": "hi"}, other)
    assert response.status_code == 404
    assert not Comment.objects.exists()


@override_settings(SOCIAL_COMMENT_RATE_PER_MINUTE=3, SOCIAL_NOTE_RATE_PER_HOUR=2)
def test_posting_and_commenting_are_rate_limited(api_client):
    user = UserFactory()
    statuses = [
        post(api_client, "/api/v1/social/notes", {"text": f"n{i}"}, user).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    written = Note.objects.first()
    statuses = [
        post(
            api_client, f"/api/v1/social/notes/{written.pk}/comments", {"text": f"c{i}"}, user
        ).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    assert Comment.objects.count() == 3


def test_feeds_circles_topics_and_block(api_client):
    me, author = UserFactory(), UserFactory()
    assert post(api_client, f"/api/v1/users/{author.pk}/follow", {}, me).status_code == 201
    written = note(author, "关注流 #日常")
    feed = api_client.get("/api/v1/social/feed/following", headers=bearer(me)).json()
    assert [item["id"] for item in feed["items"]] == [written.pk]
    assert api_client.get("/api/v1/social/feed/following").status_code == 401
    assert [i["id"] for i in api_client.get("/api/v1/social/feed/discover").json()["items"]] == [
        written.pk
    ]
    assert api_client.get("/api/v1/social/topics/日常").json()["note_count"] == 1
    assert api_client.get("/api/v1/social/topics/日常/feed").json()["items"][0]["id"] == written.pk
    assert post(api_client, "/api/v1/social/topics/日常/follow", {}, me).status_code == 201
    assert api_client.get("/api/v1/social/topics/nope").status_code == 404
    circle = post(
        api_client, "/api/v1/social/circles", {"name": "读书会", "rules": "每周一本"}, author
    )
    assert circle.status_code == 201
    circle_id = circle.json()["id"]
    assert (
        post(api_client, f"/api/v1/social/circles/{circle_id}/membership", {}, me).status_code
        == 201
    )
    assert api_client.get(f"/api/v1/social/circles/{circle_id}").json()["member_count"] == 2
    bad = post(api_client, "/api/v1/social/circles", {"name": "<b>x</b>"}, author)
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "name")
    assert post(api_client, f"/api/v1/users/{me.pk}/block", {}, author).status_code == 201
    assert api_client.get("/api/v1/social/feed/following", headers=bearer(me)).json()["items"] == []
    relation = api_client.get(f"/api/v1/users/{me.pk}/relationship", headers=bearer(author)).json()
    assert (relation["is_blocking"], relation["is_following"]) == (True, False)
    assert api_client.get(f"/api/v1/users/{author.pk}").json()["followers"] == 0
    refused = post(api_client, f"/api/v1/users/{author.pk}/follow", {}, me)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "blocked")


def test_products_notes_endpoint(api_client):
    product = catalog.product()
    written = note(UserFactory(), "推荐", product_ids=[product.pk])
    items = api_client.get(f"/api/v1/social/products/{product.pk}/notes").json()
    assert [item["id"] for item in items] == [written.pk]
