"""Django's own error answers keep the app's shapes: problem JSON under /api/ (an unknown API
address, a body too large, a request Django cannot read), the site's pages elsewhere."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def english_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-endpoint", "/api/v1/payments/-1", "/api/v2/anything"]
)
def test_an_unknown_api_address_is_a_404_problem(path):
    response = english_client().get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


def test_an_unknown_page_is_the_404_page():
    response = english_client().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.templates[0].name == "404.html"


def test_a_body_too_large_for_an_api_endpoint_is_a_400_problem(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = english_client().post(
        "/api/v1/auth/login", data='{"email": "' + "a" * 200 + '"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "bad_request", "message": "The request could not be read."}
    }


def test_a_multipart_body_without_a_boundary_is_a_400_problem():
    response = english_client().post(
        "/api/v1/me/avatar", data=b"--x\r\n", content_type="multipart/form-data"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_body",
            "message": "The request body could not be read.",
            "field": "body",
        }
    }


def test_a_server_error_under_the_api_is_a_500_problem(rf):
    from circlemart.core.error_pages import server_error

    api = server_error(rf.get("/api/v1/orders"))
    page = server_error(rf.get("/orders/"))

    assert (api.status_code, api["Content-Type"]) == (500, "application/json")
    assert b'"code": "server_error"' in api.content
    assert (page.status_code, page["Content-Type"]) == (500, "text/html; charset=utf-8")
