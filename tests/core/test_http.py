"""Cross-cutting HTTP behaviour: request ids in headers and logs, CSP, domain error pages."""

from __future__ import annotations

import json
import logging
import re
import sys

import pytest
from django.test import Client

from circlemart.core.logging import JsonFormatter, RequestIdFilter, request_id_var
from circlemart.core.money import Money

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


# --- request ids -------------------------------------------------------------------------------


def test_a_request_id_is_minted_when_the_caller_sends_none(client):
    first = client.get("/hello")
    second = client.get("/hello")

    assert GENERATED_ID.fullmatch(first["X-Request-ID"])
    assert GENERATED_ID.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize("incoming", ["abcdefgh", "trace-1234_5678.90", "A" * 64])
def test_a_sane_incoming_request_id_is_echoed(client, incoming):
    response = client.get("/hello", headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        "short",
        "A" * 65,
        "has spaces in it",
        "<script>alert(1)</script>",
        "id;rm -rf /",
        "ïd-ünicode",
    ],
)
def test_an_insane_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/hello", headers={"X-Request-ID": incoming})
    assert GENERATED_ID.fullmatch(response["X-Request-ID"])


@pytest.mark.urls("tests.core.urls")
def test_log_lines_written_during_a_request_carry_its_id(client, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO, logger="tests.core.views")

    response = client.get("/core-tests/log", headers={"X-Request-ID": "trace-abc-123"})
    logging.getLogger("tests.core.views").info("after the request")

    assert response["X-Request-ID"] == "trace-abc-123"
    lines = [(record.getMessage(), record.request_id) for record in caplog.records]
    assert lines == [("inside the view", "trace-abc-123"), ("after the request", "-")]
    assert request_id_var.get() == "-"
    formatted = json.loads(JsonFormatter().format(caplog.records[0]))
    assert formatted["request_id"] == "trace-abc-123"
    assert formatted["message"] == "inside the view"


def make_record(message: str, *args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord(
        "circlemart.orders", logging.WARNING, __file__, 42, message, args, exc_info
    )
    for name, value in extra.items():
        setattr(record, name, value)
    return record


def test_the_json_formatter_writes_one_object_with_the_extra_fields():
    record = make_record(
        "订单 %s 已支付",
        "A-1",
        request_id="req-12345678",
        order_id=7,
        paid=True,
        ratio=0.5,
        total=Money(1999, "CNY"),
        _private="hidden",
    )

    line = JsonFormatter().format(record)

    assert "\n" not in line
    assert "订单 A-1 已支付" in line  # not \u-escaped
    entry = json.loads(line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", entry.pop("ts"))
    assert entry == {
        "level": "WARNING",
        "logger": "circlemart.orders",
        "message": "订单 A-1 已支付",
        "request_id": "req-12345678",
        "order_id": 7,
        "paid": True,
        "ratio": 0.5,
        "total": "Money(amount=1999, currency='CNY')",
    }


def test_the_json_formatter_falls_back_to_the_current_request_id():
    token = request_id_var.set("ctx-12345678")
    try:
        entry = json.loads(JsonFormatter().format(make_record("hello")))
    finally:
        request_id_var.reset(token)
    assert entry["request_id"] == "ctx-12345678"


def test_the_json_formatter_keeps_the_traceback_on_the_same_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = make_record("failed", exc_info=sys.exc_info())

    line = JsonFormatter().format(record)

    assert "\n" not in line
    exception = json.loads(line)["exception"]
    assert exception.startswith("Traceback (most recent call last):")
    assert exception.endswith("ValueError: boom")


# --- Content-Security-Policy -----------------------------------------------------------------


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.django_db
def test_shopper_pages_allow_only_scripts_carrying_the_request_nonce(client):
    response = client.get("/")

    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{22})'", policy["script-src"]).group(1)
    assert policy["style-src"] == f"'self' 'nonce-{nonce}'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]

    html = response.content.decode()
    script_tags = re.findall(r"<script\b[^>]*>", html)
    htmx_tags = [tag for tag in script_tags if "htmx" in tag]
    assert len(htmx_tags) == 1
    assert f'nonce="{nonce}"' in htmx_tags[0]
    # every script on the page carries this response's nonce, or the browser would block it
    assert all(f'nonce="{nonce}"' in tag for tag in script_tags)


@pytest.mark.django_db
def test_every_response_gets_a_fresh_nonce(client):
    nonces = {
        re.search(r"'nonce-([^']+)'", client.get("/")["Content-Security-Policy"]).group(1)
        for _ in range(3)
    }
    assert len(nonces) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/api/v1/docs"])
def test_staff_and_developer_pages_get_the_relaxed_policy(client, path):
    response = client.get(path)

    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == "'self' 'unsafe-inline' 'unsafe-eval'"
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "nonce-" not in response["Content-Security-Policy"]


@pytest.mark.urls("tests.core.urls")
def test_a_view_that_sets_its_own_policy_keeps_it(client):
    response = client.get("/core-tests/own-policy")
    assert response["Content-Security-Policy"] == "frame-ancestors https://partner.example"


# --- Permissions-Policy ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/hello", "/api/v1/catalog/categories", "/no-such-page/"])
def test_every_answer_says_which_browser_features_pages_may_use(client, settings, path):
    response = client.get(path)

    assert response["Permissions-Policy"] == settings.PERMISSIONS_POLICY
    features = dict(part.strip().split("=") for part in response["Permissions-Policy"].split(","))
    for denied in ("camera", "microphone", "geolocation", "usb"):
        assert features[denied] == "()"
    assert features["payment"] == "(self)"


@pytest.mark.django_db
def test_the_policy_is_a_setting_and_empty_sends_none(client, settings):
    settings.PERMISSIONS_POLICY = "camera=(self)"
    assert client.get("/hello")["Permissions-Policy"] == "camera=(self)"

    settings.PERMISSIONS_POLICY = ""
    assert "Permissions-Policy" not in client.get("/hello")


# --- domain errors on HTML pages -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls("tests.core.urls")
@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        ("not-found", 404, "That parcel was never shipped."),
        ("conflict", 409, "Someone else took the last one."),
    ],
)
def test_a_domain_error_in_a_page_renders_its_4xx_page(client, kind, status, message):
    response = client.get(f"/core-tests/domain-error/{kind}")

    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.templates[0].name == "error.html"
    html = response.content.decode()
    assert f"<h1>{status}</h1><p>{message}</p>" in html
    assert "Content-Security-Policy" in response


@pytest.mark.urls("tests.core.urls")
def test_other_exceptions_are_not_dressed_up_as_domain_errors(client):
    with pytest.raises(ValueError, match=r"^not a domain error$"):
        client.get("/core-tests/domain-error/bug")
    assert (
        Client(raise_request_exception=False).get("/core-tests/domain-error/bug").status_code == 500
    )
