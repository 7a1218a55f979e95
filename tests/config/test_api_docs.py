"""Swagger UI is a setting (API_DOCS_ENABLED): on for `make run`, off in production, and
`circlemart check --deploy` warns while it is on. The schema itself stays public."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from tests.config.test_cli import circlemart

pytestmark = pytest.mark.django_db

PRODUCTION = {
    "HTTPS": "1",
    "ALLOWED_HOSTS": "shop.example.com",
    "SECRET_KEY": "x" * 20 + "production-only-secret-value-0123456789abcdef",
}


@override_settings(API_DOCS_ENABLED=True)
def test_docs_are_served_when_enabled(client):
    docs = client.get("/api/v1/docs")
    short = client.get("/api/docs")
    home = client.get("/")

    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert (short.status_code, short["Location"]) == (302, "/api/v1/docs")
    assert b'href="/api/docs"' in home.content


@override_settings(API_DOCS_ENABLED=False)
def test_docs_are_gone_when_disabled_but_the_schema_stays(client):
    docs = client.get("/api/v1/docs")
    short = client.get("/api/docs")
    schema = client.get("/api/v1/openapi.json")
    home = client.get("/")

    assert docs.status_code == 404
    assert short.status_code == 404
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Circlemart API"
    assert b'href="/api/docs"' not in home.content  # the footer does not link to a 404


@pytest.mark.parametrize(("enabled", "warned"), [(True, ["core.W001"]), (False, [])])
def test_the_deploy_check_warns_while_docs_are_on(enabled, warned):
    with override_settings(API_DOCS_ENABLED=enabled):
        found = run_checks(include_deployment_checks=True)

    assert [message.id for message in found if message.id.startswith("core.")] == warned


def test_the_plain_check_says_nothing_about_docs():
    with override_settings(API_DOCS_ENABLED=True):
        found = run_checks()

    assert "core.W001" not in [message.id for message in found]


SHOW = "from django.conf import settings; print(settings.API_DOCS_ENABLED)"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "True"),  # make run: DEBUG off, plain HTTP on the laptop
        ({"DEBUG": "1"}, "True"),
        (PRODUCTION, "False"),
        ({**PRODUCTION, "API_DOCS_ENABLED": "1"}, "True"),
        ({"API_DOCS_ENABLED": "0"}, "False"),
    ],
)
def test_docs_are_on_unless_this_looks_like_production(tmp_path, environment, expected):
    result = circlemart(tmp_path, "shell", "--no-imports", "-c", SHOW, **environment)

    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.slow
def test_check_deploy_warns_on_a_production_configuration_serving_docs(tmp_path):
    result = circlemart(tmp_path, "check", "--deploy", **PRODUCTION, API_DOCS_ENABLED="1")

    assert "core.W001" in result.stderr + result.stdout
    assert "Swagger UI is served at /api/docs" in result.stderr + result.stdout
