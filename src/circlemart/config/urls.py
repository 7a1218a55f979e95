from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from django.views.static import serve as serve_file

from circlemart.config.api import api
from circlemart.core.error_pages import page_not_found


def hello(request: HttpRequest) -> HttpResponse:
    """The cheapest page in the project: the floor every benchmark is compared with."""
    return HttpResponse(b"hello", content_type="text/plain")


def api_docs(request: HttpRequest) -> HttpResponse:
    """The short address of Swagger UI, gone with it while API_DOCS_ENABLED is off."""
    if not settings.API_DOCS_ENABLED:
        raise Http404("API docs are turned off")
    return HttpResponseRedirect("/api/v1/docs")


@csrf_exempt
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Any method on an address under /api/v1/ that no endpoint answers: a 404 problem, even
    with DEBUG on (where Django would answer its HTML debug page instead of handler404)."""
    return page_not_found(request, Http404())


# Problem JSON under /api/, the site's pages elsewhere (core.error_pages).
handler400 = "circlemart.core.error_pages.bad_request"
handler403 = "circlemart.core.error_pages.permission_denied"
handler404 = "circlemart.core.error_pages.page_not_found"
handler500 = "circlemart.core.error_pages.server_error"

urlpatterns = [
    path("hello", hello, name="hello"),
    # Pages without an icon link of their own (the payment gateway's) make browsers ask here.
    path("favicon.ico", RedirectView.as_view(url="/static/storefront/icon.svg", permanent=True)),
    # Analytics dashboards live in the back office; before the admin so its catch-all misses them.
    path("admin/analytics/dashboards/", include("circlemart.analytics.dashboards.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", api_not_found, name="api-not-found"),  # no kwargs: a bad byte is "path"
    path("api/docs", api_docs, name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("circlemart.accounts.urls")),
    path("cart/", include("circlemart.cart.urls")),
    path("orders/", include("circlemart.orders.urls")),
    path("payments/", include("circlemart.payments.urls")),
    path("promotions/", include("circlemart.promotions.urls")),
    path("inbox/", include("circlemart.notifications.urls")),
    path("moderation/", include("circlemart.moderation.urls")),
    path("reviews/", include("circlemart.reviews.urls")),
    path("tracking/", include("circlemart.analytics.tracking.urls")),
    path("growth/", include("circlemart.growth.urls")),
    path("rec/", include("circlemart.recommend.urls")),
    path("live/", include("circlemart.live.urls")),
    path("live/", include("circlemart.live.host_urls")),  # the host's console, /live/new/
    # Notes, circles, topics, profiles and feeds: /notes/…, /circles/…, /t/…, /u/…, /feed/…
    path("", include("circlemart.social.urls")),
    path("", include("circlemart.storefront.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve_file, {"document_root": settings.MEDIA_ROOT}),
    ]
