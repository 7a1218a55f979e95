from django.urls import path

from circlemart.storefront import views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("p/<int:product_id>/", views.product_page, name="product"),
    path("healthz", views.healthz, name="healthz"),
]
