from django.urls import path

from circlemart.storefront import views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
]
