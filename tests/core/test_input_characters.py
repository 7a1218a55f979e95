"""NUL bytes and lone surrogates are refused at the edge, whichever way they come in: a 400
problem naming the field under /api/, a 400 page elsewhere, before anything reads the DB.

The first tests are the nine server errors found by black-box testing (PostgreSQL refuses NUL
in text; a lone surrogate cannot be encoded as UTF-8): each answered an HTML 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from circlemart.accounts.services import token_pair_issue
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

MESSAGE = "This value contains a character that is not allowed (NUL or a lone surrogate)."


def refused(field: str) -> dict[str, object]:
    return {"error": {"code": "invalid_characters", "message": MESSAGE, "field": field}}


def english_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_pair_issue(user=user).access_token}"}


# --- the nine server errors -------------------------------------------------------------------

API_CASES = [
    # (method, path, JSON body or None, signed in, field)
    (
        "post",
        "/api/v1/auth/login",
        '{"email": "a\\u0000b@x.com", "password": "pw"}',
        False,
        "email",
    ),
    (
        "post",
        "/api/v1/auth/login",
        '{"email": "a\\ud800b@x.com", "password": "pw"}',
        False,
        "email",
    ),
    ("get", "/api/v1/catalog/products?category=%00", None, False, "category"),
    ("get", "/api/v1/social/topics/%00", None, False, "name"),
    ("get", "/api/v1/social/topics/%00/feed", None, False, "name"),
    ("get", "/api/v1/orders?status=%00", None, True, "status"),
    ("get", "/api/v1/orders/%00", None, True, "number"),
    ("post", "/api/v1/promotions/redeem", '{"code": "SAVE\\u000010"}', True, "code"),
]


@pytest.mark.parametrize(("method", "path", "body", "signed_in", "field"), API_CASES)
def test_api_refuses_forbidden_characters_before_touching_the_database(
    method, path, body, signed_in, field, django_assert_num_queries
):
    client = english_client()
    headers = bearer(UserFactory()) if signed_in else {}

    with django_assert_num_queries(0):
        if method == "get":
            response = client.get(path, headers=headers)
        else:
            response = client.post(
                path, data=body, content_type="application/json", headers=headers
            )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == refused(field)


@pytest.mark.parametrize("path", ["/search/?category=%00", "/t/%00/", "/search/?q=%00"])
def test_pages_answer_a_400_page(path, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = english_client().get(path)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert "<h1>400</h1>" in page
    assert MESSAGE in page
    assert "Content-Security-Policy" in response


def test_the_refusal_speaks_the_callers_language():
    with translation.override("zh-hans"):
        chinese = translation.gettext(MESSAGE)

    response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/api/v1/catalog/products?category=%00")

    assert response.status_code == 400
    assert response.json()["error"]["message"] == chinese


# --- every way in -----------------------------------------------------------------------------

API = "/api/core-tests"


@pytest.mark.urls("tests.core.urls")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"email": "a@x.com", "age": 3, "lucky_number": 2, "note": "\\u0000"}', "note"),
        ('{"profile": {"links": ["https://a.example", "x\\u0000"]}}', "profile.links.1"),
        ('{"profile": {"links": [{"title": "\\uDFFF"}]}}', "profile.links.0.title"),
        ('{"pa\\u0000ss": 1}', "body"),
        ('{"outer": {"in\\ud800": 1}}', "outer"),
        ('"\\u0000"', "body"),
        ('["\\ud800"]', "0"),
        # the UTF-8 bytes of a surrogate: json.loads decodes them with "surrogatepass"
        (b'{"name": "\xed\xa0\x80"}', "name"),
    ],
)
def test_json_bodies_are_searched_to_any_depth(body, field):
    response = english_client().post(f"{API}/signup", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == refused(field)


@pytest.mark.urls("tests.core.urls")
@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "application/merge-patch+json", "APPLICATION/JSON"],
)
def test_every_json_media_type_is_searched(content_type):
    response = english_client().post(
        f"{API}/signup", data='{"email": "\\u0000"}', content_type=content_type
    )

    assert response.status_code == 400
    assert response.json() == refused("email")


@pytest.mark.urls("tests.core.urls")
@pytest.mark.parametrize(
    "body",
    [
        '{"email": "😀 \\ud83d\\ude00", "age": 3}',  # a surrogate pair is one character
        '{"email": "a\\\\u0000b", "age": 3}',  # an escaped backslash, then the text u0000
        '{"email": "中文 \\u4e2d", "age": 3}',
    ],
)
def test_lookalikes_pass(body):
    response = english_client().post(f"{API}/signup", data=body, content_type="application/json")

    assert response.status_code == 200
    assert response.json() == {"email": json.loads(body)["email"]}


@pytest.mark.urls("tests.core.urls")
@pytest.mark.parametrize(
    "body",
    [
        b'{"email": "\\u0000',  # cut short
        b'{"email": "a\x00b"}',  # JSON strings cannot hold a raw control character
    ],
)
def test_a_body_that_is_not_json_is_left_to_the_parser(body):
    response = english_client().post(f"{API}/signup", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


@pytest.mark.urls("tests.core.urls")
@pytest.mark.parametrize(
    ("query", "field"),
    [("page=%00", "page"), ("page=1&page=2%00", "page"), ("pa%00ge=1", "query")],
)
def test_query_strings(query, field):
    response = english_client().get(f"{API}/items?{query}")

    assert response.status_code == 400
    assert response.json() == refused(field)


@pytest.mark.urls("tests.core.urls")
@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"Authorization": "Bearer cm_at_\x00"}, "Authorization"),
        ({"Idempotency-Key": "key\x00"}, "Idempotency-Key"),
        ({"X-Anything": "\ud800"}, "X-Anything"),
    ],
)
def test_headers(headers, field, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = english_client().get(f"{API}/items", headers=headers)

    assert response.status_code == 400
    assert response.json() == refused(field)


@pytest.mark.urls("tests.core.urls")
def test_cookies_are_named():
    # A quoted cookie value is unquoted by Django: "\000" becomes a NUL.
    cookie = 'csrftoken=abc; sessionid="ab\\000cd"'

    response = english_client().get(f"{API}/items", headers={"Cookie": cookie})

    assert response.status_code == 400
    assert response.json() == refused("sessionid")


def test_a_path_outside_any_route_is_named_path():
    response = english_client().get("/api/v1/no-such-thing/%00")

    assert response.status_code == 400
    assert response.json() == refused("path")


def test_form_fields_on_a_page_get_the_400_page():
    client = english_client()

    response = client.post("/accounts/login/", {"email": "a\x00b@example.com", "password": "x"})

    assert response.status_code == 400
    assert MESSAGE in response.content.decode()


def test_multipart_fields_are_named(django_assert_num_queries):
    user = UserFactory()
    client = english_client()
    headers = bearer(user)

    with django_assert_num_queries(0):
        response = client.post("/api/v1/me/avatar", {"caption": "x\x00"}, headers=headers)

    assert response.status_code == 400
    assert response.json() == refused("caption")


def test_a_form_body_stays_readable_after_the_guard_read_it():
    from django.test import RequestFactory

    from circlemart.core.input_characters import forbidden_field

    request = RequestFactory().post("/accounts/login/", {"email": "a@example.com"})  # multipart

    assert forbidden_field(request) is None
    assert request.POST["email"] == "a@example.com"
    assert b'name="email"\r\n\r\na@example.com\r\n' in request.body


def test_a_multipart_body_too_large_for_memory_is_still_searched(settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 300

    def upload() -> SimpleUploadedFile:
        return SimpleUploadedFile("a.png", b"\x89PNG" + b"0" * 400, "image/png")

    refused_answer = english_client().post(
        "/api/v1/me/avatar",
        {"caption": "hi\x00", "avatar": upload()},
        headers=bearer(UserFactory()),
    )
    clean_to_a_json_endpoint = english_client().post(
        "/api/v1/auth/login", {"email": "a@example.com", "password": "pw", "file": upload()}
    )

    assert refused_answer.status_code == 400
    assert refused_answer.json() == refused("caption")
    # the form was streamed, so the JSON endpoint cannot read a body: 415, not a crash
    assert clean_to_a_json_endpoint.status_code == 415
    assert clean_to_a_json_endpoint.json()["error"]["code"] == "unsupported_media_type"
