"""The API's routes grouped by first segment (config.api) resolve exactly as the flat list
ninja builds; API requests skip the page-messages storage (core.middleware)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from ninja import NinjaAPI

from circlemart.config.api import api, grouped_by_first_segment

pytestmark = pytest.mark.django_db


def flat_patterns() -> list[URLPattern]:
    patterns, _app, _namespace = NinjaAPI.urls.fget(api)  # type: ignore[attr-defined]
    return patterns


def sample_path(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "7" if m.group(1) != "str" else "x", route)


def test_every_route_resolves_as_in_the_flat_list() -> None:
    flat_list = flat_patterns()
    assert len(flat_list) > 100
    grouped_list, _app, _namespace = api.urls
    assert len(grouped_list) < len(flat_list) / 3
    assert any(isinstance(pattern, URLResolver) for pattern in grouped_list)
    flat = URLResolver(RoutePattern("api/v1/"), flat_list)
    grouped = URLResolver(RoutePattern("api/v1/"), grouped_list)
    for pattern in flat_list:
        path_ = "api/v1/" + sample_path(str(pattern.pattern))
        expected, found = flat.resolve(path_), grouped.resolve(path_)
        assert (found.url_name, found.route, found.kwargs) == (
            expected.url_name,
            expected.route,
            expected.kwargs,
        ), path_
    match = resolve("/api/v1/promotions/flash/7/buy")
    assert (match.view_name, match.route, match.kwargs) == (
        "api-v1:promotions_flash_buy",
        "api/v1/promotions/flash/<item_id>/buy",
        {"item_id": "7"},
    )


def test_names_reverse_to_the_same_paths() -> None:
    assert reverse("api-v1:promotions_flash_buy", kwargs={"item_id": 5}) == (
        "/api/v1/promotions/flash/5/buy"
    )
    flat = URLResolver(RoutePattern("api/v1/"), flat_patterns())
    grouped = URLResolver(RoutePattern("api/v1/"), api.urls[0])
    names = {pattern.name for pattern in flat_patterns()}
    for name in names:  # the same candidates in the same order: reverse() picks the same one
        candidates = [entry[0] for entry in flat.reverse_dict.getlist(name)]
        assert [entry[0] for entry in grouped.reverse_dict.getlist(name)] == candidates, name


def test_a_route_whose_first_segment_is_a_converter_keeps_the_list_as_it_is() -> None:
    from django.urls import path

    def view(request: Any) -> None:
        return None

    patterns: list[URLPattern | URLResolver] = [
        path(f"shop/{index}", view, name=f"shop{index}") for index in range(5)
    ]
    patterns.append(path("<slug:anything>/x", view, name="catch"))
    assert grouped_by_first_segment(patterns) is patterns
    regrouped = grouped_by_first_segment(patterns[:5])
    assert len(regrouped) == 1
    assert isinstance(regrouped[0], URLResolver)


def test_an_unknown_api_path_is_still_the_api_404() -> None:
    response = Client().get("/api/v1/promotions/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"]


def test_api_requests_skip_the_message_storage_and_pages_keep_it() -> None:
    seen: dict[str, bool] = {}
    from django.test import RequestFactory

    from circlemart.core.middleware import PageMessagesMiddleware

    def remember(request: Any) -> Any:
        from django.http import HttpResponse

        seen[request.path] = hasattr(request, "_messages")
        return HttpResponse("ok")

    middleware = PageMessagesMiddleware(remember)
    factory = RequestFactory()
    for path_ in ("/api/v1/me", "/cart/"):
        request = factory.get(path_)
        request.session = {}  # type: ignore[assignment]
        middleware(request)
    assert seen == {"/api/v1/me": False, "/cart/": True}
