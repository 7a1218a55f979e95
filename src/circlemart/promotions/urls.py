from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.promotions import views

app_name = "promotions"

urlpatterns: list[URLPattern | URLResolver] = [
    path("coupons/", views.claim_centre, name="claim-centre"),
    path("coupons/<int:template_id>/claim/", views.coupon_claim, name="claim"),
    path("me/", views.my_coupons, name="my-coupons"),
    path("redeem/", views.redeem, name="redeem"),
    path("flash/", views.flash_now, name="flash-now"),
    path("flash/<int:item_id>/buy/", views.flash_buy, name="flash-buy"),
]
