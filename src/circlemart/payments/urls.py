from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.payments import views

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks/<slug:provider>/", views.webhook, name="webhook"),
    path("return/<int:payment_id>/", views.payment_return, name="return"),
    path("test-gateway/pay/<str:token>/", views.test_gateway_pay, name="test-gateway-pay"),
]
