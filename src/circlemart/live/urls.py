from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.live import views

app_name = "live"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.room_list, name="list"),
    path("strip/", views.live_strip, name="strip"),
    path("u/<int:user_id>/rooms/", views.host_rooms, name="host-rooms"),
    path("<int:room_id>/", views.room_page, name="room"),
    path("<int:room_id>/replay/", views.replay_page, name="replay"),
    path("<int:room_id>/remind/", views.remind, name="remind"),
    path("<int:room_id>/sheet/<int:product_id>/", views.product_sheet, name="sheet"),
    path("<int:room_id>/orders/<str:number>/", views.order_status, name="order-status"),
    path(
        "<int:room_id>/coupons/<int:template_id>/claim/",
        views.coupon_claim,
        name="coupon-claim",
    ),
]
