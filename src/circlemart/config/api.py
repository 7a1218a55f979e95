"""The versioned JSON API: /api/v1/, its OpenAPI 3 schema at /api/v1/openapi.json and, when
API_DOCS_ENABLED, Swagger UI at /api/docs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
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


api = DocumentedNinjaAPI(
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
