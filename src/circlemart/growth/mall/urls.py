"""Points mall pages (joined into the growth namespace by growth.urls)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.growth.mall import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("mall/", views.mall, name="mall"),
    path("mall/mine/", views.my_redemptions, name="mall-redemptions"),
    path("mall/<int:item_id>/redeem/", views.redeem, name="mall-redeem"),
]
