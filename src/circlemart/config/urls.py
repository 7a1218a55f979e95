from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve as serve_file

from circlemart.config.api import api


def hello(request: HttpRequest) -> HttpResponse:
    """The cheapest page in the project: the floor every benchmark is compared with."""
    return HttpResponse(b"hello", content_type="text/plain")


urlpatterns = [
    path("hello", hello, name="hello"),
    # Pages without an icon link of their own (the payment gateway's) make browsers ask here.
    path("favicon.ico", RedirectView.as_view(url="/static/storefront/icon.svg", permanent=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("circlemart.accounts.urls")),
    path("cart/", include("circlemart.cart.urls")),
    path("orders/", include("circlemart.orders.urls")),
    path("payments/", include("circlemart.payments.urls")),
    path("promotions/", include("circlemart.promotions.urls")),
    path("inbox/", include("circlemart.notifications.urls")),
    path("moderation/", include("circlemart.moderation.urls")),
    path("reviews/", include("circlemart.reviews.urls")),
    # Notes, circles, topics, profiles and feeds: /notes/…, /circles/…, /t/…, /u/…, /feed/…
    path("", include("circlemart.social.urls")),
    path("", include("circlemart.storefront.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve_file, {"document_root": settings.MEDIA_ROOT}),
    ]
