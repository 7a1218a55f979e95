"""The versioned JSON API: /api/v1/, documented at /api/docs (OpenAPI 3)."""

from __future__ import annotations

from ninja import NinjaAPI

from circlemart.accounts.api import auth_router, me_router
from circlemart.cart.api import router as cart_router
from circlemart.catalog.api import router as catalog_router
from circlemart.core import problems
from circlemart.core.api_auth import SignedIn
from circlemart.moderation.api import router as moderation_router
from circlemart.notifications.api import router as notifications_router
from circlemart.orders.api import router as orders_router
from circlemart.payments.api import router as payments_router
from circlemart.promotions.api import router as promotions_router
from circlemart.reviews.api import router as reviews_router
from circlemart.search.api import history_router as search_history_router
from circlemart.search.api import router as search_router
from circlemart.social.api import content_router as social_router
from circlemart.social.api import router as users_router

api = NinjaAPI(
    title="Circlemart API",
    version="1",
    description=(
        "Social e-commerce API. Authenticate with `Authorization: Bearer <access token>` "
        'from `POST /api/v1/auth/login`. Errors are `{"error": {"code", "message", '
        '"field"}}` with a 4xx status. Send `Idempotency-Key` on writes to make retries safe.'
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
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
