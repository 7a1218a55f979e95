from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.cart import views

app_name = "cart"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.cart_page, name="cart"),
    path("add/", views.cart_add, name="add"),
    path("items/<int:sku_id>/", views.cart_line, name="line"),
    path("select-all/", views.cart_select_all, name="select-all"),
    path("badge/", views.cart_badge, name="badge"),
]
