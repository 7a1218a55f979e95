from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, path

from circlemart.payments import views

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/<slug:provider>/", views.webhook, name="webhook"),
    path("return/<int:payment_id>/", views.payment_return, name="return"),
    path("<int:payment_id>/leave/", views.payment_leave, name="leave"),
    path("<int:payment_id>/qr/", views.payment_qr, name="qr"),
]
# No money moves through the test gateway: its pay page exists only in explicit test mode
# (the view checks again, for settings changed at run time).
if settings.PAYMENTS_TEST_MODE:
    urlpatterns.append(
        path("test-gateway/pay/<str:token>/", views.test_gateway_pay, name="test-gateway-pay")
    )
