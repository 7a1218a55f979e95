"""Review and Q&A pages: writing from an order line, lists, the product block, inert markup."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client

from circlemart.reviews import selectors, services
from circlemart.reviews.models import Review
from tests.accounts.factories import UserFactory
from tests.catalog.factories import product as make_product
from tests.html_page import field_errors, visible_text
from tests.reviews.helpers import photo

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
NAME_XSS = "<script>alert(1)</script>"  # nicknames are at most 30 characters


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def product():
    return make_product()


def test_write_a_review_from_an_order_line(purchases, product):
    buyer = UserFactory()
    line = purchases.buy(buyer, product)
    client = signed_in(buyer)
    page = client.get(f"/reviews/new/{line}/")
    assert page.status_code == 200
    assert "Verified purchase" in visible_text(page)
    refused = client.post(f"/reviews/new/{line}/", {"rating": "", "text": "x"})
    assert refused.status_code == 400
    assert "rating" in field_errors(refused)
    done = client.post(f"/reviews/new/{line}/", {"rating": "5", "text": "好", "photos": [photo()]})
    assert done.status_code == 302
    assert done["Location"] == f"/reviews/products/{product.pk}/"
    review = Review.objects.get()
    assert (review.rating, review.photos.count()) == (5, 1)
    assert client.get(f"/reviews/new/{line}/").status_code == 302  # already reviewed


def test_someone_elses_order_line_is_a_403_page(purchases, product):
    line = purchases.buy(UserFactory(), product)
    response = signed_in(UserFactory()).get(f"/reviews/new/{line}/")
    assert response.status_code == 403
    assert "Only buyers with a delivered order of this product can review it." in visible_text(
        response
    )


def test_review_text_and_names_are_inert_on_every_page(purchases, product):
    buyer = UserFactory(nickname=NAME_XSS)
    line = purchases.buy(buyer, product)
    ref = services.review_create(
        author_id=buyer.pk, product_id=product.pk, order_line_id=line, rating=5, text=XSS
    )
    asker = UserFactory(nickname=NAME_XSS)
    question = services.question_ask(author_id=asker.pk, product_id=product.pk, text=XSS)
    block = selectors.product_reviews_block(product_id=product.pk, viewer_id=None)
    pages = [
        Client().get(f"/reviews/products/{product.pk}/").content.decode(),
        Client().get(f"/reviews/{ref.id}/").content.decode(),
        Client().get(f"/reviews/products/{product.pk}/questions/").content.decode(),
        Client().get(f"/reviews/questions/{question.id}/").content.decode(),
        Client().get(f"/reviews/products/{product.pk}/block/").content.decode(),
        render_to_string("reviews/partials/product_reviews.html", {"reviews_block": block}),
    ]
    for body in pages:
        assert "<script>alert(1)</script>" not in body
        assert "<img src=x" not in body
        assert "&lt;script&gt;" in body


def test_the_product_block_shows_summary_reviews_and_the_ask_link(purchases, product):
    for rating in (5, 3):
        buyer = UserFactory()
        services.review_create(
            author_id=buyer.pk,
            product_id=product.pk,
            order_line_id=purchases.buy(buyer, product),
            rating=rating,
            text=f"{rating} stars",
        )
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/reviews/products/{product.pk}/block/")
    text = visible_text(response)
    assert "4.0 / 5 · 2 reviews" in text
    assert "Ask buyers a question" in text
    assert response.content.decode().count('data-testid="review"') == 2


def test_helpful_button_over_htmx(purchases, product):
    buyer = UserFactory()
    ref = services.review_create(
        author_id=buyer.pk,
        product_id=product.pk,
        order_line_id=purchases.buy(buyer, product),
        rating=5,
    )
    client = signed_in(UserFactory())
    response = client.post(f"/reviews/{ref.id}/helpful/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-testid="helpful-count">1<' in response.content.decode()
    undo = client.post(f"/reviews/{ref.id}/helpful/", {"undo": "1"}, HTTP_HX_REQUEST="true")
    assert 'data-testid="helpful-count">0<' in undo.content.decode()


def test_ask_and_answer_on_the_pages(purchases, product):
    asker, buyer = UserFactory(), UserFactory()
    purchases.buy(buyer, product)
    asked = signed_in(asker).post(
        f"/reviews/products/{product.pk}/questions/", {"text": "防水吗？"}
    )
    assert asked.status_code == 302
    question_url = asked["Location"]
    answer_page = signed_in(buyer).get(question_url)
    assert "Post answer" in visible_text(answer_page)
    assert "Post answer" not in visible_text(signed_in(UserFactory()).get(question_url))
    answered = signed_in(buyer).post(question_url, {"text": "可以防泼水"})
    assert answered.status_code == 302
    assert "可以防泼水" in visible_text(Client().get(question_url))
    visitor = Client().post(f"/reviews/products/{product.pk}/questions/", {"text": "?"})
    assert visitor["Location"].startswith("/accounts/login/")


def test_follow_up_page(purchases, product):
    buyer = UserFactory()
    ref = services.review_create(
        author_id=buyer.pk,
        product_id=product.pk,
        order_line_id=purchases.buy(buyer, product),
        rating=4,
    )
    client = signed_in(buyer)
    assert client.get(f"/reviews/{ref.id}/follow-up/").status_code == 200
    assert (
        client.post(f"/reviews/{ref.id}/follow-up/", {"text": "一个月后还不错"}).status_code == 302
    )
    assert "一个月后还不错" in visible_text(Client().get(f"/reviews/{ref.id}/"))
    assert signed_in(UserFactory()).get(f"/reviews/{ref.id}/follow-up/").status_code == 404
