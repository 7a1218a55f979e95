"""The versioned JSON API: /api/v1/, its OpenAPI 3 schema at /api/v1/openapi.json and, when
API_DOCS_ENABLED, Swagger UI at /api/docs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path
from django.urls.resolvers import RoutePattern
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from circlemart.accounts.api import auth_router, me_router
from circlemart.analytics.analyses.api import router as analyses_router
from circlemart.analytics.api import router as analytics_router
from circlemart.cart.api import router as cart_router
from circlemart.catalog.api import router as catalog_router
from circlemart.core import problems
from circlemart.core.api_auth import SignedIn
from circlemart.core.openapi import DocumentedNinjaAPI
from circlemart.growth.api import router as growth_router
from circlemart.live.api import router as live_router
from circlemart.moderation.api import router as moderation_router
from circlemart.notifications.api import router as notifications_router
from circlemart.orders.api import router as orders_router
from circlemart.payments.api import router as payments_router
from circlemart.promotions.api import router as promotions_router
from circlemart.recommend.api import router as recommend_router
from circlemart.reviews.api import router as reviews_router
from circlemart.search.api import history_router as search_history_router
from circlemart.search.api import router as search_router
from circlemart.social.api import content_router as social_router
from circlemart.social.api import router as users_router


class SwaggerWhenEnabled(Swagger):
    """Swagger UI only while API_DOCS_ENABLED (read per request, so tests can flip it); the
    schema at /api/v1/openapi.json is served either way."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        if not settings.API_DOCS_ENABLED:
            raise Http404("API docs are turned off")
        return super().render_page(request, api, **kwargs)


# A group of at least this many routes under one first segment gets its own resolver.
GROUPED_ROUTES_MIN = 4


def grouped_by_first_segment(
    patterns: list[URLPattern | URLResolver],
) -> list[URLPattern | URLResolver]:
    """The same routes, those sharing a first path segment ("promotions/…") moved under one
    resolver for it, recursively: Django tries routes one by one, and among the API's 220
    a flash buy was matched only after some 150 failed tries (75 µs of every request, eight
    times /hello's). Each group sits where its first route was; a path can only match routes
    whose first segment is its own, so the first route that matches stays the same, with the
    same name, arguments and `route`. Routes whose first segment holds a converter would
    match anything: then nothing is moved."""
    heads: list[str | None] = []
    for pattern in patterns:
        route = str(pattern.pattern) if isinstance(pattern.pattern, RoutePattern) else None
        if not isinstance(pattern, URLPattern) or route is None:
            return patterns
        first, slash, _rest = route.partition("/")
        if "<" in first:
            return patterns
        heads.append(first if slash else None)
    counts: dict[str, int] = {}
    for counted in heads:
        if counted is not None:
            counts[counted] = counts.get(counted, 0) + 1
    grouped: list[URLPattern | URLResolver] = []
    members: dict[str, list[URLPattern | URLResolver]] = {}
    for pattern, head in zip(patterns, heads, strict=True):
        if head is None or counts[head] < GROUPED_ROUTES_MIN:
            grouped.append(pattern)
            continue
        assert isinstance(pattern, URLPattern)
        if head not in members:
            members[head] = []
            grouped.append(path(f"{head}/", include(members[head])))
        rest = str(pattern.pattern).partition("/")[2]
        members[head].append(
            path(rest, pattern.callback, kwargs=pattern.default_args, name=pattern.name)
        )
    for routes in members.values():
        routes[:] = grouped_by_first_segment(routes)
    return grouped


class CirclemartAPI(DocumentedNinjaAPI):
    """The project's API: its routes grouped for a quicker match (grouped_by_first_segment)."""

    @property
    def urls(self) -> tuple[list[URLPattern | URLResolver], str, str]:
        patterns, app_name, namespace = super().urls
        return grouped_by_first_segment(patterns), app_name, namespace


api = CirclemartAPI(
    title="Circlemart API",
    version="1",
    description=(
        "Social e-commerce API. Authenticate with `Authorization: Bearer <access token>` "
        'from `POST /api/v1/auth/login`. Errors are `{"error": {"code", "message", '
        '"field"}}` with a 4xx status. Send `Idempotency-Key` on writes to make retries safe.'
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    docs=SwaggerWhenEnabled(),
    auth=SignedIn(),  # secure by default: public endpoints say auth=None
)
problems.install(api)
api.add_router("/auth/", auth_router, tags=["auth"])
api.add_router("/me", me_router, tags=["me"])
api.add_router("/users", users_router, tags=["users"])
api.add_router("/catalog", catalog_router)
api.add_router("/catalog", search_router)
api.add_router("/me/search-history", search_history_router)
api.add_router("/cart", cart_router)
api.add_router("/orders", orders_router)
api.add_router("/payments", payments_router)
api.add_router("/social", social_router)
api.add_router("/moderation", moderation_router)
api.add_router("/notifications", notifications_router)
api.add_router("/reviews", reviews_router)
api.add_router("/promotions", promotions_router)
api.add_router("/events", analytics_router)
api.add_router("/analytics", analyses_router)
api.add_router("/growth", growth_router)
api.add_router("/live", live_router)
api.add_router("/recommend", recommend_router)
