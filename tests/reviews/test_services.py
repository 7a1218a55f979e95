"""Reviews by verified buyers: summary, photos, follow-ups, helpful votes, replies, moderation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from circlemart.catalog.models import Product
from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.core.events import relay_pending
from circlemart.moderation import services as moderation
from circlemart.moderation.models import ReviewItem
from circlemart.notifications.models import Notification
from circlemart.reviews import selectors, services
from circlemart.reviews.contracts import ContentStatus
from circlemart.reviews.models import HelpfulVote, Review, ReviewPhoto, ReviewSummary
from tests.accounts.factories import UserFactory
from tests.catalog.factories import product as make_product
from tests.reviews.helpers import make_merchant, make_moderator, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return make_product()


def review(purchases, product, *, rating=5, text="很好用", user=None, photos=()):
    user = user or UserFactory()
    line = purchases.buy(user, product)
    ref = services.review_create(
        author_id=user.pk,
        product_id=product.pk,
        order_line_id=line,
        rating=rating,
        text=text,
        photos=photos,
    )
    return user, ref


def test_a_buyer_reviews_and_the_summary_and_catalog_follow(purchases, product):
    review(purchases, product, rating=5)
    review(purchases, product, rating=4)
    _, ref = review(purchases, product, rating=2)
    assert ref.status == ContentStatus.PUBLISHED
    summary = selectors.review_summary(product_id=product.pk)
    assert (summary.count, summary.average) == (3, 3.7)
    assert summary.distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    row = Product.objects.get(pk=product.pk)
    assert (row.rating_count, row.rating_sum) == (3, 11)
    assert Review.objects.get(pk=ref.id).is_verified is True


def test_someone_without_a_delivered_purchase_is_refused_and_nothing_changes(purchases, product):
    stranger, buyer = UserFactory(), UserFactory()
    line = purchases.buy(buyer, product)
    with pytest.raises(PermissionDenied) as caught, translation.override("en"):
        services.review_create(
            author_id=stranger.pk, product_id=product.pk, order_line_id=line, rating=5
        )
    assert caught.value.code == "not_a_buyer"
    assert str(caught.value.message) == (
        "Only buyers with a delivered order of this product can review it."
    )
    assert Review.objects.count() == 0
    assert not ReviewSummary.objects.exists()


@pytest.mark.parametrize("rating", [0, 6, -1, True])
def test_rating_must_be_one_to_five(purchases, product, rating):
    buyer = UserFactory()
    line = purchases.buy(buyer, product)
    with pytest.raises(ValidationFailed) as caught:
        services.review_create(
            author_id=buyer.pk, product_id=product.pk, order_line_id=line, rating=rating
        )
    assert (caught.value.field, caught.value.code) == ("rating", "invalid_rating")
    assert Review.objects.count() == 0


def test_the_database_refuses_a_rating_out_of_range(purchases, product):
    from django.db import IntegrityError, transaction

    buyer = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(product=product, author=buyer, order_line_id=1, rating=6)


def test_one_review_per_order_line(purchases, product):
    buyer = UserFactory()
    line = purchases.buy(buyer, product)
    services.review_create(author_id=buyer.pk, product_id=product.pk, order_line_id=line, rating=5)
    with pytest.raises(Conflict) as caught:
        services.review_create(
            author_id=buyer.pk, product_id=product.pk, order_line_id=line, rating=1
        )
    assert (caught.value.code, caught.value.field) == ("already_reviewed", "order_line_id")
    assert selectors.review_summary(product_id=product.pk).count == 1


def test_a_second_purchase_can_be_reviewed_too(purchases, product):
    buyer = UserFactory()
    review(purchases, product, user=buyer, rating=5)
    review(purchases, product, user=buyer, rating=3)
    assert selectors.review_summary(product_id=product.pk).count == 2


def test_photos_are_webp_without_exif_with_thumbnails(purchases, product):
    _, ref = review(purchases, product, photos=[photo(exif=True), photo("b.png", "PNG")])
    rows = list(ReviewPhoto.objects.filter(review_id=ref.id).order_by("position"))
    assert [row.position for row in rows] == [0, 1]
    for row in rows:
        with Image.open(row.image.path) as stored:
            assert stored.format == "WEBP"
            assert not stored.getexif()
        with open(row.image.path, "rb") as raw:
            assert b"SpyCam" not in raw.read()
        with Image.open(row.thumbnail.path) as thumb:
            assert max(thumb.size) == 320
    view = selectors.review_detail(review_id=ref.id, viewer_id=None)
    assert view is not None
    assert len(view.photos) == 2


def test_a_file_that_only_looks_like_an_image_is_refused(purchases, product):
    fake = SimpleUploadedFile("cat.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    buyer = UserFactory()
    line = purchases.buy(buyer, product)
    with pytest.raises(ValidationFailed) as caught:
        services.review_create(
            author_id=buyer.pk, product_id=product.pk, order_line_id=line, rating=5, photos=[fake]
        )
    assert (caught.value.field, caught.value.code) == ("photos", "photo_invalid")
    assert Review.objects.count() == 0


def test_at_most_nine_photos(purchases, product):
    buyer, ref = review(purchases, product, photos=[photo() for _ in range(8)])
    with pytest.raises(ValidationFailed) as caught:
        services.review_photos_add(author_id=buyer.pk, review_id=ref.id, photos=[photo(), photo()])
    assert caught.value.code == "too_many_photos"
    services.review_photos_add(author_id=buyer.pk, review_id=ref.id, photos=[photo()])
    assert ReviewPhoto.objects.filter(review_id=ref.id).count() == 9
    with pytest.raises(NotFound):
        services.review_photos_add(author_id=UserFactory().pk, review_id=ref.id, photos=[photo()])


def test_one_follow_up_by_the_author_only(purchases, product):
    buyer, ref = review(purchases, product)
    with pytest.raises(PermissionDenied) as caught:
        services.review_follow_up_create(author_id=UserFactory().pk, review_id=ref.id, text="x")
    assert caught.value.code == "not_review_author"
    services.review_follow_up_create(
        author_id=buyer.pk, review_id=ref.id, text="用了一个月，依然很好"
    )
    with pytest.raises(Conflict) as caught:
        services.review_follow_up_create(author_id=buyer.pk, review_id=ref.id, text="再追一次")
    assert caught.value.code == "follow_up_exists"
    view = selectors.review_detail(review_id=ref.id, viewer_id=None)
    assert view is not None
    assert view.follow_up is not None
    assert view.follow_up.text == "用了一个月，依然很好"


def test_helpful_votes_are_one_per_user_and_exact(purchases, product):
    author, ref = review(purchases, product)
    voter = UserFactory()
    assert services.review_helpful_vote(voter_id=voter.pk, review_id=ref.id).helpful_count == 1
    again = services.review_helpful_vote(voter_id=voter.pk, review_id=ref.id)
    assert (again.helpful_count, again.is_helpful_by_viewer) == (1, True)
    services.review_helpful_vote(voter_id=UserFactory().pk, review_id=ref.id)
    undone = services.review_helpful_unvote(voter_id=voter.pk, review_id=ref.id)
    assert (undone.helpful_count, undone.is_helpful_by_viewer) == (1, False)
    assert services.review_helpful_unvote(voter_id=voter.pk, review_id=ref.id).helpful_count == 1
    with pytest.raises(PermissionDenied) as caught:
        services.review_helpful_vote(voter_id=author.pk, review_id=ref.id)
    assert caught.value.code == "own_review"
    with pytest.raises(NotFound):
        services.review_helpful_vote(voter_id=voter.pk, review_id=ref.id + 999)
    assert HelpfulVote.objects.count() == 1


def test_merchant_staff_reply_and_the_author_is_notified(purchases, product):
    author, ref = review(purchases, product)
    shopper, staff = UserFactory(), UserFactory(nickname="店小二")
    with pytest.raises(PermissionDenied) as caught:
        services.review_reply_set(replier_id=shopper.pk, review_id=ref.id, text="谢谢")
    assert caught.value.code == "not_merchant_staff"
    make_merchant(staff)
    services.review_reply_set(replier_id=staff.pk, review_id=ref.id, text="感谢支持")
    services.review_reply_set(replier_id=staff.pk, review_id=ref.id, text="感谢您的支持！")
    view = selectors.review_detail(review_id=ref.id, viewer_id=None)
    assert view is not None
    assert view.merchant_reply is not None
    assert view.merchant_reply.text == "感谢您的支持！"
    relay_pending()
    # the purchase behind the review also told the author about their order (paid, shipped…)
    notice = Notification.objects.get(recipient=author, kind="review_reply")
    assert (notice.target_id, notice.actor_count) == (ref.id, 1)


def test_hiding_takes_a_review_out_of_the_summary_and_back(purchases, product):
    _, ref = review(purchases, product, rating=4)
    staff = UserFactory()
    make_merchant(staff)
    services.review_hide(staff_id=staff.pk, review_id=ref.id, reason="spam")
    services.review_hide(staff_id=staff.pk, review_id=ref.id)  # again: nothing more
    assert selectors.review_summary(product_id=product.pk).count == 0
    assert Product.objects.get(pk=product.pk).rating_count == 0
    assert selectors.review_detail(review_id=ref.id, viewer_id=None) is None
    services.review_unhide(staff_id=staff.pk, review_id=ref.id)
    assert selectors.review_summary(product_id=product.pk).count == 1


# --- moderation ------------------------------------------------------------------------------


def test_blocked_words_are_refused_on_the_field(purchases, product):
    moderation.word_upsert(word="赌博网站", category="gambling", action="block")
    buyer = UserFactory()
    line = purchases.buy(buyer, product)
    with pytest.raises(ValidationFailed) as caught:
        services.review_create(
            author_id=buyer.pk,
            product_id=product.pk,
            order_line_id=line,
            rating=5,
            text="来赌博网站",
        )
    assert (caught.value.code, caught.value.field) == ("sensitive_content", "text")
    assert Review.objects.count() == 0


def test_masked_words_are_stored_masked(purchases, product):
    moderation.word_upsert(word="傻瓜", category="abuse", action="mask")
    _, ref = review(purchases, product, text="卖家不是傻瓜")
    assert Review.objects.get(pk=ref.id).text == "卖家不是**"


def test_text_for_review_waits_hidden_until_approved_once(purchases, product):
    moderation.word_upsert(word="加微信", category="spam", action="review")
    author, ref = review(purchases, product, rating=5, text="想要便宜的加微信")
    assert ref.status == ContentStatus.PENDING
    assert selectors.review_summary(product_id=product.pk).count == 0
    assert selectors.review_detail(review_id=ref.id, viewer_id=None) is None
    mine = selectors.review_detail(review_id=ref.id, viewer_id=author.pk)
    assert mine is not None
    assert mine.status == ContentStatus.PENDING
    item = ReviewItem.objects.get(content_type="review", content_id=ref.id)
    moderator = UserFactory()
    make_moderator(moderator)
    moderation.review_decide(
        moderator_id=moderator.pk, item_id=item.pk, decision="approve", reason=""
    )
    relay_pending()
    assert Review.objects.get(pk=ref.id).status == "published"
    assert selectors.review_summary(product_id=product.pk).count == 1
    # A redelivered approval changes nothing.
    services.moderation_decided(content_type="review", content_id=ref.id, is_approved=True)
    assert selectors.review_summary(product_id=product.pk).count == 1
    assert Product.objects.get(pk=product.pk).rating_count == 1


def test_a_rejection_later_takes_a_published_review_out(purchases, product):
    _, ref = review(purchases, product, rating=3)
    services.moderation_decided(content_type="review", content_id=ref.id, is_approved=False)
    services.moderation_decided(content_type="review", content_id=ref.id, is_approved=False)
    assert Review.objects.get(pk=ref.id).status == "rejected"
    assert selectors.review_summary(product_id=product.pk).count == 0
    assert Product.objects.get(pk=product.pk).rating_count == 0
    services.moderation_decided(
        content_type="note", content_id=ref.id, is_approved=True
    )  # not ours
    assert Review.objects.get(pk=ref.id).status == "rejected"


def test_product_reviews_in_four_queries(purchases, product, django_assert_num_queries):
    for rating in (5, 4, 3):
        _, _ref = review(purchases, product, rating=rating, photos=[photo()])
    viewer = UserFactory()
    with django_assert_num_queries(4):
        page = selectors.product_reviews(
            product_id=product.pk, viewer_id=viewer.pk, cursor=None, limit=10
        )
    assert [item.rating for item in page.items] == [3, 4, 5]
    assert all(len(item.photos) == 1 for item in page.items)


def test_moderation_can_look_up_published_reviews_for_reports(purchases, product):
    author, ref = review(purchases, product, text="正常评价")
    found = moderation.content_resolve(content_type="review", content_id=ref.id)
    assert found is not None
    assert (found.author_id, found.excerpt) == (author.pk, "正常评价")
    services.moderation_decided(content_type="review", content_id=ref.id, is_approved=False)
    assert moderation.content_resolve(content_type="review", content_id=ref.id) is None
