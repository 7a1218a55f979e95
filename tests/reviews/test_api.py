"""The reviews API through HTTP: 400 naming the field, 403 for non-buyers, 404 for unknown ids."""

from __future__ import annotations

import json

import pytest

from circlemart.accounts.services import token_pair_issue
from circlemart.reviews.models import Review
from tests.accounts.factories import UserFactory
from tests.catalog.factories import product as make_product
from tests.reviews.helpers import make_merchant, photo

pytestmark = pytest.mark.django_db


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_pair_issue(user=user).access_token}"}


def post(client, path, body, user):
    return client.post(
        path, json.dumps(body), content_type="application/json", headers=bearer(user)
    )


@pytest.fixture
def product():
    return make_product()


def test_a_buyer_creates_a_review_and_everyone_reads_it(api_client, purchases, product):
    buyer = UserFactory(nickname="小明")
    line = purchases.buy(buyer, product)
    body = {"product_id": product.pk, "order_line_id": line, "rating": 4, "text": "不错"}
    created = post(api_client, "/api/v1/reviews", body, buyer)
    assert created.status_code == 201
    assert created.json()["status"] == "published"
    listed = api_client.get(f"/api/v1/reviews/products/{product.pk}").json()
    [item] = listed["items"]
    assert (item["rating"], item["text"], item["is_verified"]) == (4, "不错", True)
    assert item["author"]["nickname"] == "小明"
    summary = api_client.get(f"/api/v1/reviews/products/{product.pk}/summary").json()
    assert summary == {
        "product_id": product.pk,
        "count": 1,
        "average": 4.0,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
    }


def test_non_buyers_get_a_clear_403(api_client, purchases, product):
    stranger = UserFactory()
    body = {"product_id": product.pk, "order_line_id": 12345, "rating": 5}
    response = post(api_client, "/api/v1/reviews", body, stranger)
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "not_a_buyer",
        "message": "Only buyers with a delivered order of this product can review it.",
    }
    assert Review.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rating": 9}, "rating"),
        ({"rating": "five"}, "rating"),
        ({"order_line_id": None}, "order_line_id"),
        ({"text": "长" * 2001}, "text"),
    ],
)
def test_bad_input_is_400_naming_the_field(api_client, purchases, product, change, field):
    buyer = UserFactory()
    line = purchases.buy(buyer, product)
    body = {"product_id": product.pk, "order_line_id": line, "rating": 5, **change}
    response = post(api_client, "/api/v1/reviews", body, buyer)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert Review.objects.count() == 0


def test_unknown_ids_are_404(api_client):
    user = UserFactory()
    assert api_client.get("/api/v1/reviews/999999").status_code == 404
    assert api_client.get("/api/v1/reviews/products/999999").status_code == 404
    assert post(api_client, "/api/v1/reviews/999999/helpful", {}, user).status_code == 404
    assert (
        post(api_client, "/api/v1/reviews/999999/follow-up", {"text": "x"}, user).status_code == 404
    )
    assert api_client.get("/api/v1/reviews/questions/999999").status_code == 404
    response = post(api_client, "/api/v1/reviews/questions/999999/answers", {"text": "x"}, user)
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "question_id"


def test_follow_up_helpful_reply_and_photos(api_client, purchases, product):
    buyer, voter, staff = UserFactory(), UserFactory(), UserFactory()
    make_merchant(staff)
    line = purchases.buy(buyer, product)
    review_id = post(
        api_client,
        "/api/v1/reviews",
        {"product_id": product.pk, "order_line_id": line, "rating": 5},
        buyer,
    ).json()["id"]
    assert (
        post(
            api_client, f"/api/v1/reviews/{review_id}/follow-up", {"text": "依旧好"}, buyer
        ).status_code
        == 201
    )
    again = post(api_client, f"/api/v1/reviews/{review_id}/follow-up", {"text": "再说"}, buyer)
    assert again.status_code == 409
    voted = post(api_client, f"/api/v1/reviews/{review_id}/helpful", {}, voter).json()
    assert voted == {"review_id": review_id, "helpful_count": 1, "is_helpful_by_viewer": True}
    undone = api_client.delete(f"/api/v1/reviews/{review_id}/helpful", headers=bearer(voter))
    assert undone.json()["helpful_count"] == 0
    refused = api_client.put(
        f"/api/v1/reviews/{review_id}/reply",
        json.dumps({"text": "谢谢"}),
        content_type="application/json",
        headers=bearer(voter),
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_merchant_staff"
    replied = api_client.put(
        f"/api/v1/reviews/{review_id}/reply",
        json.dumps({"text": "谢谢"}),
        content_type="application/json",
        headers=bearer(staff),
    )
    assert replied.status_code == 200
    assert replied.json()["merchant_reply"]["text"] == "谢谢"
    uploaded = api_client.post(
        f"/api/v1/reviews/{review_id}/photos", {"photos": [photo(), photo()]}, headers=bearer(buyer)
    )
    assert uploaded.status_code == 201
    detail = api_client.get(f"/api/v1/reviews/{review_id}").json()
    assert len(detail["photos"]) == 2
    assert detail["follow_up"]["text"] == "依旧好"


def test_questions_and_answers(api_client, purchases, product):
    asker, buyer, stranger = UserFactory(), UserFactory(), UserFactory()
    purchases.buy(buyer, product)
    asked = post(
        api_client,
        f"/api/v1/reviews/products/{product.pk}/questions",
        {"text": "续航多久？"},
        asker,
    )
    assert asked.status_code == 201
    question_id = asked.json()["id"]
    empty = post(
        api_client, f"/api/v1/reviews/products/{product.pk}/questions", {"text": ""}, asker
    )
    assert (empty.status_code, empty.json()["error"]["field"]) == (400, "text")
    refused = post(
        api_client, f"/api/v1/reviews/questions/{question_id}/answers", {"text": "?"}, stranger
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Only people who bought this product can answer."
    answered = post(
        api_client, f"/api/v1/reviews/questions/{question_id}/answers", {"text": "两天"}, buyer
    )
    assert answered.status_code == 201
    best = api_client.post(
        f"/api/v1/reviews/answers/{answered.json()['id']}/best", headers=bearer(asker)
    )
    assert best.status_code == 204
    detail = api_client.get(f"/api/v1/reviews/questions/{question_id}").json()
    assert detail["answers"][0]["is_best"] is True
    listed = api_client.get(f"/api/v1/reviews/products/{product.pk}/questions").json()
    assert listed["items"][0]["best_answer"]["text"] == "两天"


def test_writes_need_sign_in(api_client, product):
    response = api_client.post(
        "/api/v1/reviews",
        json.dumps({"product_id": product.pk, "order_line_id": 1, "rating": 5}),
        content_type="application/json",
    )
    assert response.status_code == 401


def test_refusals_are_chinese_for_chinese_callers(purchases, product):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = {"product_id": product.pk, "order_line_id": 1, "rating": 5}
    response = post(client, "/api/v1/reviews", body, UserFactory())
    assert response.json()["error"]["message"] == "只有已收货的买家才能评价此商品。"
