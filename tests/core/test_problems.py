"""API problem answers: every refusal is `{"error": {"code", "message", "field"}}` with a 4xx."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.urls("tests.core.urls"), pytest.mark.django_db]

API = "/api/core-tests"


def test_a_domain_error_keeps_its_status_code_field_and_extra(api_client):
    response = api_client.get(f"{API}/conflict")

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "out_of_stock",
            "message": "Only 2 left.",
            "field": "sku",
            "available": 2,
        }
    }
    assert "Retry-After" not in response


def test_a_rate_limit_says_when_to_come_back(api_client):
    response = api_client.get(f"{API}/limited")

    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert response.json() == {
        "error": {
            "code": "rate_limited",
            "message": "Slow down.",
            "field": "phone",
            "retry_after": 7,
        }
    }


def test_a_schema_error_names_the_field_as_the_caller_knows_it(api_client):
    response = api_client.post(
        f"{API}/signup", data={"email": "a@example.com"}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "This field is required.",
            "field": "age",
            "errors": [{"field": "age", "message": "This field is required."}],
        }
    }


def test_every_schema_error_is_listed_and_validator_messages_lose_their_prefix(api_client):
    response = api_client.post(
        f"{API}/signup",
        data={"email": "a@example.com", "age": "old", "lucky_number": 3},
        content_type="application/json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert [detail["field"] for detail in error["errors"]] == ["age", "lucky_number"]
    assert error["errors"][1]["message"] == "must be even"
    assert (error["field"], error["message"]) == ("age", error["errors"][0]["message"])


def test_a_query_parameter_error_names_the_parameter(api_client):
    response = api_client.get(f"{API}/items", {"page": "first"})

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "page"


def test_a_body_that_is_not_json_is_a_bad_request(api_client):
    response = api_client.post(f"{API}/signup", data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_json",
            "message": "The request body is not valid JSON.",
            "field": "body",
        }
    }


def test_the_required_message_is_translated(client):
    response = client.post(f"{API}/signup", data={}, content_type="application/json")
    assert response.json()["error"]["message"] == "这个字段是必填项。"


def test_not_found(api_client):
    response = api_client.get(f"{API}/missing")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


def test_an_http_error_keeps_its_status(api_client):
    response = api_client.get(f"{API}/teapot")
    assert response.status_code == 418
    assert response.json() == {"error": {"code": "error", "message": "short and stout"}}


def test_unauthenticated_calls_are_told_how_to_authenticate(api_client):
    response = api_client.get(f"{API}/private")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "error": {"code": "not_authenticated", "message": "Authentication required."}
    }


# --- JSON bodies: the media type and the shape ---------------------------------------------------

UNSUPPORTED = {
    "error": {
        "code": "unsupported_media_type",
        "message": "Send the body as application/json.",
        "field": "Content-Type",
    }
}
SIGNUP = '{"email": "a@example.com", "age": 30}'


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "", "application/jsonp"],
)
def test_a_json_endpoint_refuses_other_media_types_with_415(api_client, content_type):
    response = api_client.post(f"{API}/signup", data=SIGNUP, content_type=content_type)

    assert response.status_code == 415
    assert response.json() == UNSUPPORTED


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"],
)
def test_json_media_types_are_accepted(api_client, content_type):
    response = api_client.post(f"{API}/signup", data=SIGNUP, content_type=content_type)

    assert response.status_code == 200
    assert response.json() == {"email": "a@example.com"}


def test_real_json_endpoints_refuse_form_bodies_with_415(api_client):
    response = api_client.post(
        "/api/v1/auth/login",
        {"email": "a@example.com", "password": "x"},  # multipart
    )

    assert response.status_code == 415
    assert response.json() == UNSUPPORTED


def test_an_endpoint_without_a_body_ignores_the_media_type(api_client):
    response = api_client.get(f"{API}/items", content_type="text/plain")

    assert response.status_code == 200


@pytest.mark.parametrize("body", ["[]", "[1, 2]", "5", '"text"', "null", "true"])
def test_a_json_body_must_be_an_object(api_client, body):
    response = api_client.post(f"{API}/profile", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "The request body must be a JSON object.",
            "field": "body",
        }
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"link": 5}, "link"),
        ({"link": [{"title": "x"}]}, "link"),
        ({"link": "x"}, "link"),
        ({"links": [{"title": "a"}, 7]}, "links.1"),
    ],
)
def test_nested_objects_must_be_objects_too(api_client, body, field):
    response = api_client.post(f"{API}/profile", data=body, content_type="application/json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"], error["message"]) == (
        "invalid",
        field,
        "Must be a JSON object.",
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"nickname": "x" * 13}, "nickname", "String should have at most 12 characters"),
        ({"bio": "x" * 10_001}, "bio", "String should have at most 10000 characters"),
        (
            {"link": {"title": "x" * 10_001}},
            "link.title",
            "String should have at most 10000 characters",
        ),
    ],
)
def test_input_strings_are_bounded(api_client, body, field, message):
    response = api_client.post(f"{API}/profile", data=body, content_type="application/json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["field"], error["message"]) == (field, message)


def test_a_well_formed_profile_passes(api_client):
    body = {"nickname": "x" * 12, "bio": "y" * 10_000, "link": {"title": "t"}, "links": []}

    response = api_client.post(f"{API}/profile", data=body, content_type="application/json")

    assert response.status_code == 200
    assert response.json() == body
