"""The host's pages under /live/: create a room, the host's rooms, and each room's console."""

from django.urls import path

from circlemart.live import host_views

app_name = "live_host"

urlpatterns = [
    path("new/", host_views.room_new, name="new"),
    path("mine/", host_views.my_rooms, name="mine"),
    path("<int:room_id>/host/", host_views.console, name="console"),
    path("<int:room_id>/host/stats/", host_views.stats_panel, name="stats"),
    path("<int:room_id>/host/state/", host_views.state_change, name="state"),
    path("<int:room_id>/host/pin/", host_views.pin, name="pin"),
    path("<int:room_id>/host/coupons/", host_views.coupon_create, name="coupon-create"),
    path("<int:room_id>/host/coupons/list/", host_views.coupon_list, name="coupon-list"),
    path(
        "<int:room_id>/host/coupons/<int:template_id>/drop/",
        host_views.coupon_drop,
        name="coupon-drop",
    ),
    path("<int:room_id>/host/flash/", host_views.flash_start, name="flash"),
    path("<int:room_id>/host/announce/", host_views.announce, name="announce"),
]
