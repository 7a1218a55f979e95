"""Every URL pattern of the site, API and pages, GET and POST, with NUL bytes and lone
surrogates in the path, the query string and the body: never a server error.

A NUL (or a surrogate escaped in a JSON body) reaches the app and is refused with a 400. A lone
surrogate in a URL or a form body arrives as invalid UTF-8, which Django decodes to U+FFFD or
keeps percent-encoded, so the views get ordinary text and must simply not fail."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

_PARAMETER = re.compile(r"<(?:\w+:)?\w+>|\(\?P<\w+>[^)]*\)")
LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
FORBIDDEN = ["\x00", *LONE_SURROGATES]


def _patterns(patterns: list[URLPattern | URLResolver], prefix: str) -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def route_templates() -> list[str]:
    """Every URL pattern as "/orders/{}/pay/": one {} per URL parameter."""
    templates = set()
    for pattern in _patterns(get_resolver().url_patterns, ""):
        template = pattern.replace("^", "").replace("$", "").replace(r"\Z", "")
        templates.add("/" + _PARAMETER.sub("{}", template))
    return sorted(templates)


ROUTES = route_templates()


def encode(text: str) -> str:
    """As a client puts text in a URL: UTF-8, percent-encoded (a lone surrogate becomes the
    bytes of one, which are not valid UTF-8)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def fill(template: str, values: list[str]) -> str:
    path = template
    for value in values:
        path = path.replace("{}", encode(value), 1)
    return path


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def signed_in_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(UserFactory())
    return client


def assert_refused(response, path: str) -> None:
    assert response.status_code == 400, (path, response.status_code)
    if is_api(path):
        assert response.json()["error"]["code"] == "invalid_characters"
    else:
        assert b"<h1>400</h1>" in response.content


# --- the walk: every route, GET and POST, a NUL in each place ----------------------------------


def test_the_site_has_routes_to_walk():
    assert len(ROUTES) > 300
    assert "/api/v1/orders/{}" in ROUTES
    assert "/t/{}/" in ROUTES


def test_every_route_refuses_nul_in_path_query_and_body():
    client = signed_in_client()
    for template in ROUTES:
        parameters = template.count("{}")
        with_nul = fill(template, ["a\x00b"] * parameters) if parameters else template + "%00"
        plain = fill(template, ["1"] * parameters)
        body = {"name": ["x", {"deep": "y\u0000"}], "text": "\ud800"}
        answers = [
            (with_nul, client.get(with_nul)),
            (with_nul, client.post(with_nul)),
            (plain, client.get(plain, {"q": "\x00", "limit": "1"})),
            (plain, client.post(f"{plain}?cursor=%00")),
        ]
        if is_api(plain):
            answers.append((plain, client.post(plain, body, content_type="application/json")))
        else:
            answers.append((plain, client.post(plain, {"name": "a\x00b", "csrf": "x"})))
        for path, response in answers:
            assert_refused(response, path)


# --- the fuzz: random routes, values and places -------------------------------------------------

ordinary_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
tainted_text = st.builds(
    lambda before, bad, after: before + bad + after,
    ordinary_text,
    st.sampled_from(FORBIDDEN),
    ordinary_text,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | ordinary_text | tainted_text,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(ordinary_text | tainted_text, children, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def poisoned_requests(draw: st.DrawFn) -> dict[str, object]:
    template = draw(st.sampled_from(ROUTES))
    parameters = template.count("{}")
    method = draw(st.sampled_from(["get", "post"]))
    place = draw(
        st.sampled_from(["path", "query", "body"] if method == "post" else ["path", "query"])
    )
    values = [draw(ordinary_text.filter(bool)) for _ in range(parameters)]
    carries_nul = False
    path_suffix = ""
    if place == "path":
        bad = draw(tainted_text)
        carries_nul = "\x00" in bad
        if parameters:
            values[draw(st.integers(0, parameters - 1))] = bad
        else:
            path_suffix = encode(bad)
    path = fill(template, values) + path_suffix
    query: dict[str, str] = {}
    if place == "query":
        bad = draw(tainted_text)
        carries_nul = "\x00" in bad
        name = draw(st.sampled_from(["q", "category", "status", "cursor", "limit", "tab", "next"]))
        path += f"?{name}={encode(bad)}"
    request: dict[str, object] = {"method": method, "path": path, "query": query}
    if place == "body":
        if is_api(path):
            document = draw(st.dictionaries(ordinary_text, json_values, min_size=1, max_size=4))
            document[draw(ordinary_text)] = draw(tainted_text)
            request["body"] = json.dumps(document)  # \u0000 and \ud800 escapes
            request["content_type"] = "application/json"
            carries_nul = True  # once decoded, the JSON holds a forbidden character
        else:
            bad = draw(tainted_text)
            carries_nul = "\x00" in bad
            field = draw(ordinary_text.filter(bool))
            request["body"] = f"{encode(field)}={encode(bad)}&csrfmiddlewaretoken=x"
            request["content_type"] = "application/x-www-form-urlencoded"
    request["refused"] = carries_nul
    return request


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=poisoned_requests())
def test_no_route_fails_on_poisoned_input(request):
    client = signed_in_client()
    path = str(request["path"])
    if request["method"] == "get":
        response = client.get(path)
    else:
        response = client.post(
            path, data=request.get("body", b""), content_type=request.get("content_type", "")
        )

    assert response.status_code < 500, (request, response.status_code)
    if request["refused"]:
        assert_refused(response, path)
