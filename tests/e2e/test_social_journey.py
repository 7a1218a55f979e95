"""A creator posts a note tagging a product; a follower sees it in the following feed, likes
it and comments — in a real browser, under the strict Content-Security-Policy."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from circlemart.social.models import Comment, Note
from circlemart.social.services import follow_create
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_note_with_product_reaches_a_follower_who_likes_and_comments(
    open_page, browser_log: BrowserLog, screenshot: Screenshot, tmp_path: Path
) -> None:
    creator = UserFactory(nickname="种草达人")
    fan = UserFactory(nickname="小粉丝")
    follow_create(follower_id=fan.pk, followee_id=creator.pk)
    product = catalog.product(title="降噪耳机")
    photo = tmp_path / "photo.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (900, 1200), (240, 120, 130)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())

    creator_page = open_page(**PHONE)
    sign_in(creator_page, creator.email)
    creator_page.goto(f"/notes/new/?product={product.pk}")
    creator_page.get_by_test_id("note-images").set_input_files(str(photo))
    expect(creator_page.locator("[data-image-previews] img")).to_have_count(1)  # composer.js
    creator_page.get_by_label("标题").fill("通勤神器")
    creator_page.get_by_test_id("note-text").fill("地铁上终于安静了 #数码 #好物分享")
    screenshot(creator_page, "social-composer-mobile")
    creator_page.get_by_test_id("publish").click()
    expect(creator_page.get_by_test_id("note-title")).to_have_text("通勤神器")
    expect(creator_page.get_by_test_id("tagged-products")).to_contain_text("降噪耳机")
    note = Note.objects.get(author=creator)

    fan_page = open_page(**PHONE)
    sign_in(fan_page, fan.email)
    fan_page.goto("/feed/")
    card = fan_page.get_by_test_id("note-card").first
    expect(card).to_contain_text("通勤神器")
    screenshot(fan_page, "social-following-feed-mobile")
    card.click()
    fan_page.get_by_test_id("like").click()  # htmx swaps the button in place
    expect(fan_page.get_by_test_id("like-count")).to_have_text("1")
    fan_page.get_by_test_id("comment-text").fill("求同款！")
    fan_page.get_by_test_id("comment-send").click()
    expect(fan_page.get_by_test_id("comment").first).to_contain_text("求同款！")
    screenshot(fan_page, "social-note-liked-commented-mobile")
    note.refresh_from_db()
    assert (note.like_count, note.comment_count) == (1, 1)
    assert Comment.objects.get().author_id == fan.pk

    # The creator hears about it: the header badge counts the follow, the like and the
    # comment; the inbox says who did what.
    creator_page.goto("/")
    expect(creator_page.get_by_test_id("unread-badge")).to_have_text("3")
    creator_page.get_by_test_id("inbox-link").click()
    items = creator_page.get_by_test_id("notification")
    expect(items).to_have_count(3)
    kinds = sorted(items.nth(i).get_attribute("data-kind") or "" for i in range(3))
    assert kinds == ["comment", "follow", "note_like"]
    for index in range(3):
        expect(items.nth(index).get_by_test_id("sentence")).to_contain_text("小粉丝")
    screenshot(creator_page, "social-inbox-mobile")
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []
