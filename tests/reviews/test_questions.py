"""Product Q&A: anyone signed in asks, buyers are invited and answer, best answer first."""

from __future__ import annotations

import pytest

from circlemart.core.errors import NotFound, PermissionDenied, ValidationFailed
from circlemart.core.events import relay_pending
from circlemart.notifications.models import Notification
from circlemart.reviews import selectors, services
from tests.accounts.factories import UserFactory
from tests.catalog.factories import product as make_product
from tests.reviews.helpers import make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return make_product()


def reviewer(purchases, product):
    user = UserFactory()
    line = purchases.buy(user, product)
    services.review_create(author_id=user.pk, product_id=product.pk, order_line_id=line, rating=5)
    return user


def test_a_question_invites_the_products_reviewers(purchases, product):
    buyers = [reviewer(purchases, product) for _ in range(3)]
    asker = UserFactory(nickname="问问")
    ref = services.question_ask(author_id=asker.pk, product_id=product.pk, text="降噪效果怎么样？")
    relay_pending()
    invited = Notification.objects.filter(kind="question_invite", target_id=ref.id)
    assert sorted(invited.values_list("recipient_id", flat=True)) == sorted(b.pk for b in buyers)
    assert invited.first().excerpt == "降噪效果怎么样？"


def test_asking_needs_text_and_a_real_product(product):
    asker = UserFactory()
    with pytest.raises(ValidationFailed) as caught:
        services.question_ask(author_id=asker.pk, product_id=product.pk, text="   ")
    assert caught.value.field == "text"
    with pytest.raises(NotFound) as missing:
        services.question_ask(author_id=asker.pk, product_id=product.pk + 999, text="有吗")
    assert missing.value.field == "product_id"


def test_only_buyers_answer_and_the_asker_hears_of_it(purchases, product):
    asker, stranger = UserFactory(), UserFactory()
    buyer = UserFactory(nickname="买家")
    purchases.buy(buyer, product)
    question = services.question_ask(author_id=asker.pk, product_id=product.pk, text="耐用吗")
    with pytest.raises(PermissionDenied) as caught:
        services.answer_post(author_id=stranger.pk, question_id=question.id, text="不知道")
    assert caught.value.code == "not_a_buyer"
    services.answer_post(author_id=buyer.pk, question_id=question.id, text="用了半年没问题")
    relay_pending()
    notice = Notification.objects.get(recipient=asker, kind="question_answer")
    assert notice.actor_count == 1
    detail = selectors.question_detail(question_id=question.id, viewer_id=asker.pk)
    assert detail is not None
    assert detail.question.answer_count == 1
    assert detail.can_answer is False
    assert detail.can_pick_best is True


def test_the_best_answer_comes_first_and_only_the_asker_or_staff_pick_it(purchases, product):
    asker = UserFactory()
    first, second = UserFactory(), UserFactory()
    for user in (first, second):
        purchases.buy(user, product)
    question = services.question_ask(author_id=asker.pk, product_id=product.pk, text="声音大吗")
    early = services.answer_post(author_id=first.pk, question_id=question.id, text="一般")
    late = services.answer_post(author_id=second.pk, question_id=question.id, text="很大，很清楚")
    with pytest.raises(PermissionDenied):
        services.answer_mark_best(user_id=first.pk, answer_id=late.id)
    services.answer_mark_best(user_id=asker.pk, answer_id=late.id)
    detail = selectors.question_detail(question_id=question.id, viewer_id=None)
    assert detail is not None
    assert [answer.id for answer in detail.answers] == [late.id, early.id]
    staff = UserFactory()
    make_merchant(staff)
    services.answer_mark_best(user_id=staff.pk, answer_id=early.id)
    detail = selectors.question_detail(question_id=question.id, viewer_id=None)
    assert detail is not None
    assert [(a.id, a.is_best) for a in detail.answers] == [(early.id, True), (late.id, False)]
    page = selectors.product_questions(product_id=product.pk, viewer_id=None, cursor=None, limit=5)
    assert page.items[0].best_answer is not None
    assert page.items[0].best_answer.id == early.id


def test_a_held_question_is_announced_only_when_approved(purchases, product):
    from circlemart.moderation import services as moderation

    moderation.word_upsert(word="加微信", category="spam", action="review")
    reviewer(purchases, product)
    asker = UserFactory()
    ref = services.question_ask(author_id=asker.pk, product_id=product.pk, text="加微信聊？")
    relay_pending()
    assert not Notification.objects.filter(kind="question_invite").exists()
    assert selectors.question_detail(question_id=ref.id, viewer_id=None) is None
    services.moderation_decided(content_type="question", content_id=ref.id, is_approved=True)
    relay_pending()
    assert Notification.objects.filter(kind="question_invite").count() == 1
